"""Case lifecycle specs: refer, assess, plan, assign, volunteer leaving, suspend, resume, close."""

from __future__ import annotations

from datetime import date

import pytest

from care.application.aggregates import CASE
from care.domain import lifecycle
from care.domain.errors import CaseClosed, CaseExists, CaseNotFound, WrongCaseStatus
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
    CareResumed,
    CareSuspended,
    VolunteerReassignmentNeeded,
    VolunteersAssigned,
)
from ishc_runtime.testing.specs import spec

from .builders import (
    ACTIVE,
    ASSESSED,
    ASSIGNED,
    CASE_ID,
    CLUB,
    HUNG,
    LAN,
    MAI,
    PERSON,
    PLAN,
    PLANNED,
    REFERRED,
    STARTS,
)

pytestmark = pytest.mark.unit

REFER = ReferForCare(**REFERRED.model_dump())


def test_a_referral_opens_a_case_for_anyone_member_or_not() -> None:
    outcome = spec(CASE).when(lambda s: lifecycle.refer(s, REFER)).then(REFERRED)
    outcome.then_state(lambda s: s.status == "referred" and s.person_id == PERSON)


def test_a_case_is_referred_once() -> None:
    spec(CASE).given(REFERRED).when(lambda s: lifecycle.refer(s, REFER)).then_raises(
        CaseExists, field="case_id"
    )


def test_assessment_moves_a_referred_case_to_assessed() -> None:
    cmd = AssessNeeds(case_id=CASE_ID, assessed_on=date(2026, 12, 3), assessed_by="board")
    spec(CASE).given(REFERRED).when(lambda s: lifecycle.assess(s, cmd)).then(ASSESSED).then_state(
        lambda s: s.status == "assessed"
    )


def test_nothing_happens_to_a_case_that_does_not_exist() -> None:
    cmd = AssessNeeds(case_id=CASE_ID, assessed_on=date(2026, 12, 3), assessed_by="board")
    spec(CASE).when(lambda s: lifecycle.assess(s, cmd)).then_raises(CaseNotFound, field="case_id")


def test_a_plan_opens_after_the_assessment_only() -> None:
    cmd = OpenCarePlan(case_id=CASE_ID, plan_id=PLAN, starts_on=STARTS)
    spec(CASE).given(REFERRED, ASSESSED).when(lambda s: lifecycle.open_plan(s, cmd)).then(PLANNED)
    spec(CASE).given(REFERRED).when(lambda s: lifecycle.open_plan(s, cmd)).then_raises(
        WrongCaseStatus, field="case_id"
    )
    spec(CASE).given(*ACTIVE).when(lambda s: lifecycle.open_plan(s, cmd)).then_raises(
        WrongCaseStatus
    )


def test_assigning_volunteers_makes_the_case_active() -> None:
    cmd = AssignVolunteers(case_id=CASE_ID, volunteer_ids=(LAN, HUNG), assigned_on=STARTS)
    spec(CASE).given(REFERRED, ASSESSED, PLANNED).when(
        lambda s: lifecycle.assign_volunteers(s, cmd)
    ).then(ASSIGNED).then_state(lambda s: s.status == "active")


def test_volunteers_need_a_plan_and_are_listed_once() -> None:
    cmd = AssignVolunteers(case_id=CASE_ID, volunteer_ids=(LAN,), assigned_on=STARTS)
    spec(CASE).given(REFERRED, ASSESSED).when(
        lambda s: lifecycle.assign_volunteers(s, cmd)
    ).then_raises(WrongCaseStatus, field="case_id")
    twice = AssignVolunteers(case_id=CASE_ID, volunteer_ids=(LAN, LAN), assigned_on=STARTS)
    spec(CASE).given(*ACTIVE).when(lambda s: lifecycle.assign_volunteers(s, twice)).then_raises(
        WrongCaseStatus, field="volunteer_ids"
    )


def test_reassignment_replaces_the_pair_and_clears_the_flag() -> None:
    left = VolunteerReassignmentNeeded(
        case_id=CASE_ID, club_id=CLUB, volunteer_id=HUNG, left_on=STARTS,
        remaining_volunteer_ids=(LAN,),
    )  # fmt: skip
    cmd = AssignVolunteers(case_id=CASE_ID, volunteer_ids=(LAN, MAI), assigned_on=STARTS)
    spec(CASE).given(*ACTIVE, left).when(lambda s: lifecycle.assign_volunteers(s, cmd)).then(
        VolunteersAssigned(
            case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, volunteer_ids=(LAN, MAI),
            assigned_on=STARTS,
        )
    ).then_state(lambda s: not s.reassignment_needed and s.volunteer_ids == (LAN, MAI))  # fmt: skip


def test_a_volunteer_leaving_flags_the_case_for_reassignment() -> None:
    cmd = FlagVolunteerLeft(case_id=CASE_ID, volunteer_id=HUNG, left_on=date(2026, 12, 24))
    spec(CASE).given(*ACTIVE).when(lambda s: lifecycle.flag_volunteer_left(s, cmd)).then(
        VolunteerReassignmentNeeded(
            case_id=CASE_ID, club_id=CLUB, volunteer_id=HUNG, left_on=date(2026, 12, 24),
            remaining_volunteer_ids=(LAN,),
        )
    ).then_state(lambda s: s.reassignment_needed and s.volunteer_ids == (LAN,))  # fmt: skip


def test_a_volunteer_not_on_the_case_or_a_closed_case_changes_nothing() -> None:
    cmd = FlagVolunteerLeft(case_id=CASE_ID, volunteer_id=MAI, left_on=date(2026, 12, 24))
    spec(CASE).given(*ACTIVE).when(lambda s: lifecycle.flag_volunteer_left(s, cmd)).then_nothing()
    spec(CASE).when(lambda s: lifecycle.flag_volunteer_left(s, cmd)).then_nothing()


def test_hospital_suspends_and_resumes_care() -> None:
    on = date(2026, 12, 24)
    suspended = CareSuspended(case_id=CASE_ID, club_id=CLUB, suspended_on=on, reason="hospital")
    spec(CASE).given(*ACTIVE).when(
        lambda s: lifecycle.suspend(s, SuspendCare(case_id=CASE_ID, suspended_on=on))
    ).then(suspended)
    spec(CASE).given(*ACTIVE, suspended).when(
        lambda s: lifecycle.resume(s, ResumeCare(case_id=CASE_ID, resumed_on=on))
    ).then(CareResumed(case_id=CASE_ID, club_id=CLUB, resumed_on=on)).then_state(
        lambda s: s.status == "active"
    )
    spec(CASE).given(*ACTIVE).when(
        lambda s: lifecycle.resume(s, ResumeCare(case_id=CASE_ID, resumed_on=on))
    ).then_raises(WrongCaseStatus)
    spec(CASE).given(REFERRED).when(
        lambda s: lifecycle.suspend(s, SuspendCare(case_id=CASE_ID, suspended_on=on))
    ).then_raises(WrongCaseStatus)


def test_closing_records_the_reason_and_a_closed_case_stays_closed() -> None:
    cmd = CloseCase(case_id=CASE_ID, closed_on=date(2026, 12, 24), reason="died")
    closed = CareCaseClosed(
        case_id=CASE_ID, club_id=CLUB, person_id=PERSON, closed_on=date(2026, 12, 24),
        reason="died",
    )  # fmt: skip
    spec(CASE).given(*ACTIVE).when(lambda s: lifecycle.close(s, cmd)).then(closed)
    spec(CASE).given(*ACTIVE, closed).when(lambda s: lifecycle.close(s, cmd)).then_raises(
        CaseClosed, field="case_id"
    )
