"""Weekly verdicts follow business dates (issue #19): a week-close timer that fires before the
volunteers' assignment (or a resumption) is keyed in judges nothing yet, and the late fact
judges the weeks it makes count, so the weeks judged never depend on when timers fired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest

from care.application.aggregates import CASE
from care.application.timers import week_close_due
from care.domain import lifecycle, visits, weeks
from care.domain.case import Case
from ishc_contracts import Event
from ishc_contracts.care.commands import AssignVolunteers, CloseCase, ResumeCare, SuspendCare
from ishc_contracts.care.events import (
    CareResumed,
    CareSuspended,
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.testing.specs import spec

from .builders import (
    ASSESSED,
    ASSIGNED,
    CASE_ID,
    CLUB,
    HUNG,
    LAN,
    PLAN,
    PLANNED,
    REFERRED,
    STARTS,
    visit,
)

pytestmark = pytest.mark.unit

W52, W53, W01 = STARTS, STARTS + timedelta(days=7), STARTS + timedelta(days=14)
PLANNED_ONLY = (REFERRED, ASSESSED, PLANNED)
VISITS = (visit(1, W52), visit(2, W52 + timedelta(days=3)), visit(3, W53))


def after(monday: date) -> datetime:
    return week_close_due(*weeks.week_of(monday)) + timedelta(minutes=1)


def assign(on: date) -> AssignVolunteers:
    return AssignVolunteers(case_id=CASE_ID, volunteer_ids=(LAN, HUNG), assigned_on=on)


def verdicts(events: Sequence[Event]) -> list[tuple[str, bool]]:
    return [
        (e.iso_week, isinstance(e, WeeklyVisitTargetMet))
        for e in events
        if isinstance(e, WeeklyVisitTargetMet | WeeklyVisitTargetMissed)
    ]


def test_a_timer_that_fires_before_the_assignment_is_keyed_judges_nothing_yet() -> None:
    spec(CASE).given(*PLANNED_ONLY, *VISITS).when(
        lambda s: visits.close_week(s, 2026, 52, after(W52))
    ).then_nothing()


def test_the_assignment_keyed_late_judges_the_weeks_it_makes_count() -> None:
    outcome = (
        spec(CASE)
        .given(*PLANNED_ONLY, *VISITS)
        .when(
            lambda s: visits.with_catch_up(
                s, lifecycle.assign_volunteers(s, assign(W52)), after(W53)
            )
        )
    )
    assert verdicts(outcome.events) == [("2026-W52", True), ("2026-W53", False)]


def test_the_same_weeks_are_judged_whether_the_assignment_came_before_or_after_the_timers() -> None:
    def run(steps: Sequence[str]) -> list[tuple[str, bool]]:
        state: Case = spec(CASE).given(*PLANNED_ONLY, *VISITS).state
        out: list[Event] = []
        for step in steps:
            if step == "assign":
                now = after(W53) if steps[0] != "assign" else after(W52) - timedelta(days=7)
                new = visits.with_catch_up(
                    state, lifecycle.assign_volunteers(state, assign(W52)), now
                )
            else:
                monday = {"close52": W52, "close53": W53}[step]
                new = visits.close_week(state, *weeks.week_of(monday), after(monday))
            for event in new:
                state = CASE.evolve(state, event)
            out += new
        return sorted(verdicts(out))

    live = run(["assign", "close52", "close53"])
    late = run(["close52", "close53", "assign"])
    assert live == late == [("2026-W52", True), ("2026-W53", False)]


def test_a_week_suspended_on_its_sunday_is_not_judged_and_a_late_resumption_judges_after() -> None:
    suspended = CareSuspended(
        case_id=CASE_ID, club_id=CLUB, suspended_on=W52 + timedelta(days=5), reason="hospital"
    )
    history = (*PLANNED_ONLY, ASSIGNED, *VISITS, suspended)
    spec(CASE).given(*history).when(
        lambda s: visits.close_week(s, 2026, 52, after(W52))
    ).then_nothing()
    # Care resumed on W53's Monday, keyed in only after W01 closed: W53 and W01 count.
    resume = ResumeCare(case_id=CASE_ID, resumed_on=W53)
    outcome = (
        spec(CASE)
        .given(*history)
        .when(lambda s: visits.with_catch_up(s, lifecycle.resume(s, resume), after(W01)))
    )
    assert isinstance(outcome.events[0], CareResumed)
    assert verdicts(outcome.events) == [("2026-W53", False), ("2027-W01", False)]


def test_plan_and_club_of_the_verdicts_are_the_case_s() -> None:
    outcome = (
        spec(CASE)
        .given(*PLANNED_ONLY, *VISITS)
        .when(
            lambda s: visits.with_catch_up(
                s, lifecycle.assign_volunteers(s, assign(W52)), after(W52)
            )
        )
    )
    (met,) = outcome.events[1:]
    assert isinstance(met, WeeklyVisitTargetMet)
    assert (met.plan_id, met.club_id, met.week_starts_on) == (PLAN, CLUB, W52)


JUDGED = (
    WeeklyVisitTargetMet(
        case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, iso_week="2026-W52", week_starts_on=W52,
        visits_required=2, visits_done=2,
    ),
    WeeklyVisitTargetMissed(
        case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, iso_week="2026-W53", week_starts_on=W53,
        visits_required=2, visits_done=1, consecutive_misses=1,
    ),
)  # fmt: skip


def test_a_suspension_keyed_after_its_weeks_were_judged_withdraws_their_verdicts() -> None:
    # In hospital from W53's Saturday, typed in after W01 closed: W53 (suspended on its
    # Sunday) no longer counts as missed, and W01 is not judged; W52 stands.
    suspend = SuspendCare(case_id=CASE_ID, suspended_on=W53 + timedelta(days=5), reason="hospital")
    (
        spec(CASE)
        .given(*PLANNED_ONLY, ASSIGNED, *VISITS, *JUDGED)
        .when(lambda s: visits.with_catch_up(s, lifecycle.suspend(s, suspend), after(W01)))
        .then(
            CareSuspended(
                case_id=CASE_ID,
                club_id=CLUB,
                suspended_on=W53 + timedelta(days=5),
                reason="hospital",
            ),
            WeeklyVerdictWithdrawn(
                case_id=CASE_ID,
                club_id=CLUB,
                iso_week="2026-W53",
                week_starts_on=W53,
                reason="suspended",
            ),
        )
        .then_state(lambda s: sorted(s.weeks) == ["2026-W52"])
    )


def test_a_closing_keyed_late_withdraws_the_weeks_after_it() -> None:
    close = CloseCase(case_id=CASE_ID, closed_on=W53 + timedelta(days=2), reason="moved")
    outcome = (
        spec(CASE)
        .given(*PLANNED_ONLY, ASSIGNED, *VISITS, *JUDGED)
        .when(lambda s: visits.with_catch_up(s, lifecycle.close(s, close), after(W01)))
    )
    assert [(type(e).__name__, getattr(e, "iso_week", None)) for e in outcome.events] == [
        ("CareCaseClosed", None),
        ("WeeklyVerdictWithdrawn", "2026-W53"),
    ]


def test_a_suspension_keyed_in_time_withdraws_nothing() -> None:
    suspend = SuspendCare(case_id=CASE_ID, suspended_on=W01, reason="hospital")
    outcome = (
        spec(CASE)
        .given(*PLANNED_ONLY, ASSIGNED, *VISITS, *JUDGED)
        .when(lambda s: visits.with_catch_up(s, lifecycle.suspend(s, suspend), after(W53)))
    )
    assert [type(e).__name__ for e in outcome.events] == ["CareSuspended"]
