"""Care commands: requests the gateway sends (request/reply), timers and reactions (domain A3)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.bounds import (
    MAX_ITEMS,
    PROGRAMME_START,
    CodeList,
    Day,
    DeviceInstant,
    PlannedDay,
)
from ishc_contracts.care.events import (
    BloodPressure,
    CloseReason,
    MissReason,
    ReferralReason,
    SuspendReason,
    VolunteerIds,
)
from ishc_contracts.events import Command, Sensitive
from ishc_contracts.values import Code, Note, PersonName


class _Care(Command):
    service: ClassVar[str] = "care"


class ReferForCare(_Care):
    case_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName = Sensitive("identity")
    referred_on: Day
    referred_by: Code
    reasons: tuple[ReferralReason, ...] | None = Sensitive(
        "health", default=None, max_length=MAX_ITEMS
    )
    note: Note | None = Sensitive("notes", default=None)


class AssessNeeds(_Care):
    case_id: UUID
    assessed_on: Day
    assessed_by: Code
    reasons: tuple[ReferralReason, ...] | None = Sensitive(
        "health", default=None, max_length=MAX_ITEMS
    )
    daily_living_needs: CodeList | None = Sensitive("health", default=None)
    note: Note | None = Sensitive("notes", default=None)


class OpenCarePlan(_Care):
    case_id: UUID
    plan_id: UUID
    visits_per_week: int = Field(default=2, ge=1, le=14)
    tasks: CodeList = ()
    starts_on: PlannedDay
    review_on: PlannedDay | None = None


class AssignVolunteers(_Care):
    case_id: UUID
    volunteer_ids: VolunteerIds = Field(max_length=MAX_ITEMS)
    assigned_on: Day


class FlagVolunteerLeft(_Care):
    """Issued by the membership reaction when an assigned volunteer's membership ends."""

    case_id: UUID
    volunteer_id: UUID
    left_on: Day


class RecordVisit(_Care):
    visit_id: UUID = Field(
        description="Made on the device: the same visit uploaded twice counts once"
    )
    case_id: UUID
    volunteer_ids: VolunteerIds = Field(max_length=MAX_ITEMS)
    visited_on: Day
    started_at: DeviceInstant | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    tasks_done: CodeList = ()
    blood_pressure: BloodPressure | None = Sensitive("health", default=None)
    observations: Note | None = Sensitive("health", default=None)
    follow_up: CodeList | None = Sensitive("health", default=None)


class RecordMissedVisit(_Care):
    visit_id: UUID
    case_id: UUID
    due_on: Day
    volunteer_ids: tuple[UUID, ...] = Field(default=(), max_length=MAX_ITEMS)
    reason: MissReason


class CloseCareWeek(_Care):
    """Fired by the durable scheduler once the ISO week has ended in Viet Nam."""

    case_id: UUID
    iso_year: int = Field(ge=PROGRAMME_START.year, le=2100)
    iso_week: int = Field(ge=1, le=53)


class SuspendCare(_Care):
    case_id: UUID
    suspended_on: Day
    reason: SuspendReason = "hospital"


class ResumeCare(_Care):
    case_id: UUID
    resumed_on: Day


class CloseCase(_Care):
    case_id: UUID
    closed_on: Day
    reason: CloseReason
    note: Note | None = Sensitive("notes", default=None)


class RecordHealthCheck(_Care):
    check_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    checked_on: Day
    provider: Code | None = None
    campaign: Code | None = None
    blood_pressure: BloodPressure | None = Sensitive("health", default=None)
    glucose_mmol_l: float | None = Sensitive(
        "health", default=None, ge=0, le=60, allow_inf_nan=False
    )
    weight_kg: float | None = Sensitive("health", default=None, ge=0, le=300, allow_inf_nan=False)
    observations: Note | None = Sensitive("health", default=None)
    referred_to: Code | None = Sensitive("health", default=None)


COMMANDS: tuple[type[Command], ...] = (
    ReferForCare,
    AssessNeeds,
    OpenCarePlan,
    AssignVolunteers,
    FlagVolunteerLeft,
    RecordVisit,
    RecordMissedVisit,
    CloseCareWeek,
    SuspendCare,
    ResumeCare,
    CloseCase,
    RecordHealthCheck,
)
