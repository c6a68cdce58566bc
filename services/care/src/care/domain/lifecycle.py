"""Case lifecycle decisions: Referred → Assessed → Active ⇄ Suspended → Closed."""

from __future__ import annotations

from care.domain.case import Case
from care.domain.errors import CaseClosed, CaseExists, CaseNotFound, WrongCaseStatus
from ishc_contracts import Event
from ishc_contracts.care.commands import (
    AssessNeeds,
    AssignVolunteers,
    CloseCase,
    FlagVolunteerLeft,
    OpenCarePlan,
    ReferForCare,
    ResumeCare,
    SuspendCare,
)
from ishc_contracts.care.events import (
    CareCaseClosed,
    CarePlanOpened,
    CareReferralReceived,
    CareResumed,
    CareSuspended,
    NeedsAssessed,
    VolunteerReassignmentNeeded,
    VolunteersAssigned,
)


def require_open(state: Case) -> None:
    """The case exists and is not closed."""
    if state.status == "new":
        raise CaseNotFound("no care case with this id", field="case_id")
    if state.status == "closed":
        raise CaseClosed("the care case is closed", field="case_id")


def _ids(state: Case) -> dict[str, object]:
    return {"case_id": state.case_id, "club_id": state.club_id}


def refer(state: Case, cmd: ReferForCare) -> list[Event]:
    if state.status != "new":
        raise CaseExists("a care case with this id exists", field="case_id")
    return [CareReferralReceived(**cmd.model_dump())]


def assess(state: Case, cmd: AssessNeeds) -> list[Event]:
    require_open(state)
    return [NeedsAssessed(**_ids(state), **cmd.model_dump(exclude={"case_id"}))]


def open_plan(state: Case, cmd: OpenCarePlan) -> list[Event]:
    require_open(state)
    if state.status != "assessed" or state.plan_id is not None:
        raise WrongCaseStatus(
            f"a care plan opens once, after the needs assessment (case is {state.status})",
            field="case_id",
        )
    return [CarePlanOpened(**_ids(state), **cmd.model_dump(exclude={"case_id"}))]


def assign_volunteers(state: Case, cmd: AssignVolunteers) -> list[Event]:
    require_open(state)
    if state.plan_id is None:
        raise WrongCaseStatus("open a care plan before assigning volunteers", field="case_id")
    if len(set(cmd.volunteer_ids)) != len(cmd.volunteer_ids):
        raise WrongCaseStatus("a volunteer is listed twice", field="volunteer_ids")
    return [
        VolunteersAssigned(
            **_ids(state),
            plan_id=state.plan_id,
            volunteer_ids=cmd.volunteer_ids,
            assigned_on=cmd.assigned_on,
        )
    ]


def flag_volunteer_left(state: Case, cmd: FlagVolunteerLeft) -> list[Event]:
    """A reaction's command: quiet (no events) when there is nothing to do."""
    if state.status in {"new", "closed"} or cmd.volunteer_id not in state.volunteer_ids:
        return []
    remaining = tuple(v for v in state.volunteer_ids if v != cmd.volunteer_id)
    return [
        VolunteerReassignmentNeeded(
            **_ids(state),
            volunteer_id=cmd.volunteer_id,
            left_on=cmd.left_on,
            remaining_volunteer_ids=remaining,
        )
    ]


def suspend(state: Case, cmd: SuspendCare) -> list[Event]:
    require_open(state)
    if state.status != "active":
        raise WrongCaseStatus(f"only an active case is suspended ({state.status})", field="case_id")
    return [CareSuspended(**_ids(state), suspended_on=cmd.suspended_on, reason=cmd.reason)]


def resume(state: Case, cmd: ResumeCare) -> list[Event]:
    require_open(state)
    if state.status != "suspended":
        raise WrongCaseStatus(f"the case is not suspended ({state.status})", field="case_id")
    return [CareResumed(**_ids(state), resumed_on=cmd.resumed_on)]


def close(state: Case, cmd: CloseCase) -> list[Event]:
    require_open(state)
    return [
        CareCaseClosed(
            **_ids(state),
            person_id=state.person_id,
            closed_on=cmd.closed_on,
            reason=cmd.reason,
            note=cmd.note,
        )
    ]
