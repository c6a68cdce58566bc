"""The care case: one stream per person cared for, holding the plan, the volunteers, every
visit and every closed week. Visits live here so that two uploads of the same visit race on
this stream's version: the loser retries, sees the first, and is merged instead of counted.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care.domain import rules
from ishc_contracts import Event
from ishc_contracts.care.events import (
    CareCaseClosed,
    CarePlanOpened,
    CareReferralReceived,
    CareResumed,
    CareSuspended,
    CaseEscalated,
    NeedsAssessed,
    VisitCompleted,
    VisitMerged,
    VisitMissed,
    VolunteerReassignmentNeeded,
    VolunteersAssigned,
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)

Status = Literal["new", "referred", "assessed", "active", "suspended", "closed"]


class Visit(BaseModel):
    model_config = ConfigDict(frozen=True)

    visited_on: date
    volunteer_ids: tuple[UUID, ...]


class Week(BaseModel):
    """A closed ISO week: its target, what was done, and the run of misses it ends."""

    model_config = ConfigDict(frozen=True)

    required: int
    done: int
    met: bool
    consecutive_misses: int = 0


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status = "new"
    case_id: UUID | None = None
    club_id: UUID | None = None
    person_id: UUID | None = None
    plan_id: UUID | None = None
    visits_per_week: int = rules.DEFAULT_VISITS_PER_WEEK
    starts_on: date | None = None
    volunteer_ids: tuple[UUID, ...] = ()
    reassignment_needed: bool = False
    visits: dict[str, Visit] = {}
    merged: dict[str, str] = {}
    missed_visits: frozenset[str] = frozenset()
    weeks: dict[str, Week] = {}
    escalations: int = 0
    # Business dates of the case's course, so a week's verdict depends on what happened in
    # it, not on the status when its timer fired: the first volunteers' assignment, every
    # suspension (start, resumption or None while it lasts) and the closing.
    assigned_on: date | None = None
    suspensions: tuple[tuple[date, date | None], ...] = ()
    closed_on: date | None = None

    def done_between(self, first: date, last: date) -> int:
        return sum(1 for v in self.visits.values() if first <= v.visited_on <= last)

    def done_in_week(self, monday: date) -> int:
        return self.done_between(monday, monday + timedelta(days=6))

    def in_care_on(self, day: date) -> bool:
        """Home care was running on `day`: volunteers assigned by then, not suspended that
        day (a resumption counts from its own day), not closed by then."""
        if self.assigned_on is None or self.assigned_on > day:
            return False
        if self.closed_on is not None and self.closed_on <= day:
            return False
        return not any(
            start <= day and (end is None or day < end) for start, end in self.suspensions
        )


def evolve(state: Case, event: Event) -> Case:  # noqa: PLR0912 - an arm per event
    match event:
        case CareReferralReceived():
            return state.model_copy(
                update={
                    "status": "referred",
                    "case_id": event.case_id,
                    "club_id": event.club_id,
                    "person_id": event.person_id,
                }
            )
        case NeedsAssessed():
            assessed: Status = "assessed" if state.status == "referred" else state.status
            return state.model_copy(update={"status": assessed})
        case CarePlanOpened():
            return state.model_copy(
                update={
                    "plan_id": event.plan_id,
                    "visits_per_week": event.visits_per_week,
                    "starts_on": event.starts_on,
                }
            )
        case VolunteersAssigned():
            active: Status = "active" if state.status == "assessed" else state.status
            first = min(event.assigned_on, state.assigned_on or event.assigned_on)
            return state.model_copy(
                update={
                    "status": active,
                    "volunteer_ids": event.volunteer_ids,
                    "reassignment_needed": False,
                    "assigned_on": first,
                }
            )
        case VolunteerReassignmentNeeded():
            return state.model_copy(
                update={
                    "volunteer_ids": event.remaining_volunteer_ids,
                    "reassignment_needed": True,
                }
            )
        case VisitCompleted():
            visit = Visit(visited_on=event.visited_on, volunteer_ids=event.volunteer_ids)
            return state.model_copy(update={"visits": {**state.visits, str(event.visit_id): visit}})
        case VisitMerged():
            merged = {**state.merged, str(event.visit_id): str(event.merged_into)}
            return state.model_copy(update={"merged": merged})
        case VisitMissed():
            return state.model_copy(
                update={"missed_visits": state.missed_visits | {str(event.visit_id)}}
            )
        case WeeklyVisitTargetMet():
            week = Week(required=event.visits_required, done=event.visits_done, met=True)
            return state.model_copy(update={"weeks": {**state.weeks, event.iso_week: week}})
        case WeeklyVisitTargetMissed():
            week = Week(
                required=event.visits_required,
                done=event.visits_done,
                met=False,
                consecutive_misses=event.consecutive_misses,
            )
            return state.model_copy(update={"weeks": {**state.weeks, event.iso_week: week}})
        case WeeklyVisitTargetMetLate():
            week = Week(required=event.visits_required, done=event.visits_done, met=True)
            return state.model_copy(update={"weeks": {**state.weeks, event.iso_week: week}})
        case WeeklyVerdictWithdrawn():
            judged = {label: w for label, w in state.weeks.items() if label != event.iso_week}
            return state.model_copy(update={"weeks": judged})
        case CaseEscalated():
            return state.model_copy(update={"escalations": state.escalations + 1})
        case CareSuspended():
            suspensions = (*state.suspensions, (event.suspended_on, None))
            return state.model_copy(update={"status": "suspended", "suspensions": suspensions})
        case CareResumed():
            resumed = state.suspensions
            if resumed and resumed[-1][1] is None:
                resumed = (*resumed[:-1], (resumed[-1][0], event.resumed_on))
            return state.model_copy(update={"status": "active", "suspensions": resumed})
        case CareCaseClosed():
            return state.model_copy(update={"status": "closed", "closed_on": event.closed_on})
    return state
