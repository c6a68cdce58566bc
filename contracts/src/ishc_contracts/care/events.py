"""Care events: home-care cases, volunteer visits, weekly compliance, health checks (domain A3).

Every case fact, visits included, lives in the case's own stream (`aggregate = "case"`): two
devices uploading the same visit race on that stream's version, and the retry sees the first.

Health data is sensitive personal data (Law 91/2025/QH15): vitals, observations, referral
reasons, needs and care notes are marked `Sensitive` and nullable, so they can be encrypted per
member and read back as `None` once that member's key is destroyed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from ishc_contracts.events import ERASED_TEXT, Event, Payload, Sensitive
from ishc_contracts.values import Code, Codes, Count, Note, PersonName

ReferralReason = Literal[
    "lives_alone", "disability", "chronic_illness", "limited_mobility", "other"
]
CloseReason = Literal["recovered", "moved", "died", "facility", "refused"]
MissReason = Literal[
    "volunteer_unavailable", "recipient_away", "recipient_in_hospital", "not_recorded", "other"
]
SuspendReason = Literal["hospital", "away", "other"]
IsoWeek = Annotated[str, Field(pattern=r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$", description="2026-W07")]
VolunteerIds = Annotated[tuple[UUID, ...], Field(min_length=1)]


class _Care(Event):
    service: ClassVar[str] = "care"
    aggregate: ClassVar[str] = "case"


class BloodPressure(Payload):
    systolic: int = Field(ge=40, le=300, description="mmHg")
    diastolic: int = Field(ge=20, le=200, description="mmHg")


class CareReferralReceived(_Care):
    """Someone (member or not) was referred for home care."""

    schema_version: ClassVar[int] = 2

    case_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName = Sensitive("identity", erased=ERASED_TEXT)
    referred_on: date
    referred_by: Code = Field(description="board, volunteer, family, health_station, self, ...")
    reasons: tuple[ReferralReason, ...] | None = Sensitive("health", default=None)
    note: Note | None = Sensitive("notes", default=None)


class NeedsAssessed(_Care):
    """A board member or volunteer assessed the person's needs (reasons, daily-living items)."""

    case_id: UUID
    club_id: UUID
    assessed_on: date
    assessed_by: Code
    reasons: tuple[ReferralReason, ...] | None = Sensitive("health", default=None)
    daily_living_needs: Codes | None = Sensitive(
        "health",
        default=None,
        description="ADL items needing help: bathing, cooking, mobility, ...",
    )
    note: Note | None = Sensitive("notes", default=None)


class CarePlanOpened(_Care):
    """A care plan started: how often the person is visited and what volunteers do."""

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    visits_per_week: int = Field(default=2, ge=1, le=14)
    tasks: Codes = Field(default=(), description="cleaning, cooking, medicine_reminder, ...")
    starts_on: date
    review_on: date | None = None
    needs_note: Note | None = Sensitive("notes", default=None)


class VolunteersAssigned(_Care):
    """The volunteers (typically a pair) now responsible for a case; replaces earlier ones."""

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    volunteer_ids: VolunteerIds
    assigned_on: date


class VolunteerReassignmentNeeded(_Care):
    """An assigned volunteer left (membership ended): the board must assign someone else."""

    case_id: UUID
    club_id: UUID
    volunteer_id: UUID
    left_on: date
    remaining_volunteer_ids: tuple[UUID, ...] = ()


class VisitCompleted(_Care):
    """A home visit was done. Counted once by `visit_id`, however often it is uploaded."""

    visit_id: UUID
    case_id: UUID
    club_id: UUID
    volunteer_ids: VolunteerIds
    visited_on: date
    started_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    tasks_done: Codes = ()
    blood_pressure: BloodPressure | None = Sensitive("health", default=None)
    observations: Note | None = Sensitive("health", default=None)
    follow_up: Codes | None = Sensitive(
        "health", default=None, description="Follow-up flags raised"
    )


class VisitMerged(_Care):
    """An offline duplicate (same case, volunteer and day, another visit_id) was merged into
    the visit recorded first: it is not counted again."""

    visit_id: UUID
    merged_into: UUID
    case_id: UUID
    club_id: UUID
    visited_on: date


class VisitMissed(_Care):
    """A scheduled visit did not happen (recorded by a volunteer or by the scheduler)."""

    visit_id: UUID
    case_id: UUID
    club_id: UUID
    due_on: date
    volunteer_ids: tuple[UUID, ...] = ()
    reason: MissReason


class WeeklyVisitTargetMet(_Care):
    """Scheduler fact: an ISO week (Viet Nam time) closed with enough visits done."""

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    week_starts_on: date
    visits_required: int = Field(ge=1)
    visits_done: Count


class WeeklyVisitTargetMissed(_Care):
    """Scheduler fact: fewer visits were done in an ISO week than the plan requires."""

    case_id: UUID
    plan_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    week_starts_on: date
    visits_required: int = Field(ge=1)
    visits_done: Count
    consecutive_misses: int = Field(ge=1)


class WeeklyVisitTargetMetLate(_Care):
    """A visit recorded after its week closed brought that missed week up to the target."""

    case_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    visits_required: int = Field(ge=1)
    visits_done: Count
    visit_id: UUID


class WeeklyVerdictWithdrawn(_Care):
    """A week's verdict (met or missed) no longer stands: a suspension or a closing keyed in
    after the week was judged shows home care was not running on its Sunday, so the week is
    not counted at all (an escalation already made stands)."""

    case_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    week_starts_on: date
    reason: Literal["suspended", "closed"]


class CaseEscalated(_Care):
    """Consecutive missed weeks: the case goes to the club board."""

    case_id: UUID
    club_id: UUID
    iso_week: IsoWeek
    consecutive_misses: int = Field(ge=1)
    escalated_to: Code = "board"


class CareSuspended(_Care):
    """Home care paused (the person is in hospital or away): weeks do not count meanwhile."""

    case_id: UUID
    club_id: UUID
    suspended_on: date
    reason: SuspendReason


class CareResumed(_Care):
    """Home care started again after a suspension."""

    case_id: UUID
    club_id: UUID
    resumed_on: date


class CareCaseClosed(_Care):
    """Home care ended. `died` lets advocacy open a funeral-support case."""

    case_id: UUID
    club_id: UUID
    person_id: UUID
    closed_on: date
    reason: CloseReason
    note: Note | None = Sensitive("notes", default=None)


class HealthCheckRecorded(_Care):
    """Results of a periodic health check (often with the commune health station)."""

    aggregate: ClassVar[str] = "health_check"

    check_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    checked_on: date
    provider: Code | None = Field(default=None, description="e.g. commune_health_station")
    campaign: Code | None = Field(default=None, description="Check-up campaign, e.g. 2026-spring")
    blood_pressure: BloodPressure | None = Sensitive("health", default=None)
    glucose_mmol_l: float | None = Sensitive("health", default=None, ge=0, le=60)
    weight_kg: float | None = Sensitive("health", default=None, ge=0, le=300)
    observations: Note | None = Sensitive("health", default=None)
    referred_to: Code | None = Sensitive(
        "health", default=None, description="Where the person was referred"
    )


EVENTS: tuple[type[Event], ...] = (
    CareReferralReceived,
    NeedsAssessed,
    CarePlanOpened,
    VolunteersAssigned,
    VolunteerReassignmentNeeded,
    VisitCompleted,
    VisitMerged,
    VisitMissed,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMissed,
    WeeklyVisitTargetMetLate,
    WeeklyVerdictWithdrawn,
    CaseEscalated,
    CareSuspended,
    CareResumed,
    CareCaseClosed,
    HealthCheckRecorded,
)
