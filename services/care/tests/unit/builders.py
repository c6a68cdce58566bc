"""Shared facts for the care unit specs: one case, its plan and volunteers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from ishc_contracts.care.events import (
    CarePlanOpened,
    CareReferralReceived,
    NeedsAssessed,
    VisitCompleted,
    VolunteersAssigned,
)


def uid(n: int) -> UUID:
    return UUID(int=n)


CASE_ID, CLUB, PERSON, PLAN = uid(1), uid(2), uid(3), uid(4)
LAN, HUNG, MAI = uid(11), uid(12), uid(13)
# Monday 2026-12-21 (ISO 2026-W52); 2026 is a long year: W53 is 2026-12-28 .. 2027-01-03.
STARTS = date(2026, 12, 21)
NOW = datetime(2026, 12, 23, 5, 0, tzinfo=UTC)  # Wednesday noon in Viet Nam

REFERRED = CareReferralReceived(
    case_id=CASE_ID,
    club_id=CLUB,
    person_id=PERSON,
    full_name="Nguyễn Thị Lan",
    referred_on=date(2026, 12, 1),
    referred_by="volunteer",
    reasons=("lives_alone",),
)
ASSESSED = NeedsAssessed(
    case_id=CASE_ID, club_id=CLUB, assessed_on=date(2026, 12, 3), assessed_by="board"
)
PLANNED = CarePlanOpened(
    case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, visits_per_week=2, starts_on=STARTS
)
ASSIGNED = VolunteersAssigned(
    case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, volunteer_ids=(LAN, HUNG), assigned_on=STARTS
)
ACTIVE = (REFERRED, ASSESSED, PLANNED, ASSIGNED)


def visit(n: int, on: date, *volunteers: UUID) -> VisitCompleted:
    return VisitCompleted(
        visit_id=uid(100 + n),
        case_id=CASE_ID,
        club_id=CLUB,
        volunteer_ids=volunteers or (LAN,),
        visited_on=on,
    )
