"""Care events: home-care cases, volunteer visits, health checks (domain A3).

Health data is sensitive personal data (Law 91/2025/QH15): vitals, observations, referral
reasons and care notes are marked `Sensitive` and nullable, so they can be encrypted per
member and read back as `None` once that member's key is destroyed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from ishc_contracts.events import Event, Payload, Sensitive
from ishc_contracts.values import Code, Codes, Count, Note, PersonName

ReferralReason = Literal[
    "lives_alone", "disability", "chronic_illness", "limited_mobility", "other"
]
CloseReason = Literal["recovered", "moved", "died", "facility", "refused"]
MissReason = Literal[
    "volunteer_unavailable", "recipient_away", "recipient_in_hospital", "not_recorded", "other"
]
IsoWeek = Annotated[str, Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$", description="2026-W07")]
VolunteerIds = Annotated[tuple[UUID, ...], Field(min_length=1)]


class _Care(Event):
    service: ClassVar[str] = "care"


class BloodPressure(Payload):
    systolic: int = Field(ge=40, le=300, description="mmHg")
    diastolic: int = Field(ge=20, le=200, description="mmHg")


class CareReferralReceived(_Care):
    """Someone (member or not) was referred for home care."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName
    referred_on: date
    referred_by: Code = Field(description="board, volunteer, family, health_station, self, ...")
    reasons: tuple[ReferralReason, ...] | None = Sensitive(default=None)
    note: Note | None = Sensitive(default=None)


class CarePlanOpened(_Care):
    """A care plan started: how often the person is visited and what volunteers do."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    visits_per_week: int = Field(default=2, ge=1, le=14)
    tasks: Codes = Field(default=(), description="cleaning, cooking, medicine_reminder, ...")
    starts_on: date
    review_on: date | None = None
    needs_note: Note | None = Sensitive(default=None)


class VolunteersAssigned(_Care):
    """The volunteers (typically a pair) now responsible for a case; replaces earlier ones."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    volunteer_ids: VolunteerIds
    assigned_on: date


class VisitCompleted(_Care):
    """A home visit was done. Counted once by `visit_id`, however often it is uploaded."""

    aggregate: ClassVar[str] = "visit"

    visit_id: UUID
    case_id: UUID
    club_id: UUID
    volunteer_ids: VolunteerIds
    visited_on: date
    started_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    tasks_done: Codes = ()
    blood_pressure: BloodPressure | None = Sensitive(default=None)
    observations: Note | None = Sensitive(default=None)
    follow_up: Codes | None = Sensitive(default=None, description="Follow-up flags raised")


class VisitMissed(_Care):
    """A scheduled visit did not happen (recorded by a volunteer or by the scheduler)."""

    aggregate: ClassVar[str] = "visit"

    visit_id: UUID
    case_id: UUID
    club_id: UUID
    due_on: date
    volunteer_ids: tuple[UUID, ...] = ()
    reason: MissReason


class WeeklyVisitTargetMissed(_Care):
    """Scheduler fact: fewer visits were done in an ISO week than the plan requires."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    week_starts_on: date
    visits_required: int = Field(ge=1)
    visits_done: Count
    consecutive_misses: int = Field(ge=1)


class CareCaseClosed(_Care):
    """Home care ended. `died` lets advocacy open a funeral-support case."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    person_id: UUID
    closed_on: date
    reason: CloseReason
    note: Note | None = Sensitive(default=None)


class HealthCheckRecorded(_Care):
    """Results of a periodic health check (often with the commune health station)."""

    aggregate: ClassVar[str] = "health_check"

    check_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    checked_on: date
    provider: Code | None = Field(default=None, description="e.g. commune_health_station")
    blood_pressure: BloodPressure | None = Sensitive(default=None)
    glucose_mmol_l: float | None = Sensitive(default=None, ge=0, le=60)
    weight_kg: float | None = Sensitive(default=None, ge=0, le=300)
    observations: Note | None = Sensitive(default=None)
    referred_to: Code | None = Sensitive(default=None, description="Where the person was referred")


EVENTS: tuple[type[Event], ...] = (
    CareReferralReceived,
    CarePlanOpened,
    VolunteersAssigned,
    VisitCompleted,
    VisitMissed,
    WeeklyVisitTargetMissed,
    CareCaseClosed,
    HealthCheckRecorded,
)
