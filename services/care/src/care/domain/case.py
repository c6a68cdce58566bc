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

    def done_between(self, first: date, last: date) -> int:
        return sum(1 for v in self.visits.values() if first <= v.visited_on <= last)

    def done_in_week(self, monday: date) -> int:
        return self.done_between(monday, monday + timedelta(days=6))


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
            return state.model_copy(
                update={
                    "status": active,
                    "volunteer_ids": event.volunteer_ids,
                    "reassignment_needed": False,
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
        case CaseEscalated():
            return state.model_copy(update={"escalations": state.escalations + 1})
        case CareSuspended():
            return state.model_copy(update={"status": "suspended"})
        case CareResumed():
            return state.model_copy(update={"status": "active"})
        case CareCaseClosed():
            return state.model_copy(update={"status": "closed"})
    return state
