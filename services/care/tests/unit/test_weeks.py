"""Weekly compliance on a fake clock: ISO weeks in Viet Nam time, across the year boundary and
2026's week 53; two misses in a row escalate; a late visit turns a miss into a hit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from care.application.aggregates import CASE
from care.application.timers import week_close_due, week_key
from care.domain import visits, weeks
from care.domain.errors import InvalidWeek, WeekNotOver
from ishc_contracts.care.commands import RecordVisit
from ishc_contracts.care.events import (
    CareSuspended,
    CaseEscalated,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.clock import FakeClock, vn_start_of_day
from ishc_runtime.testing.specs import spec

from .builders import ACTIVE, CASE_ID, CLUB, LAN, PLAN, uid, visit

pytestmark = pytest.mark.unit

W52 = date(2026, 12, 21)
W53 = date(2026, 12, 28)  # 2026-W53 runs to Sunday 2027-01-03
W01 = date(2027, 1, 4)  # 2027-W01


def after(monday: date) -> datetime:
    """Just after the week's timer is due (Monday after it, Viet Nam time, plus grace)."""
    year, week = weeks.week_of(monday)
    return week_close_due(year, week) + timedelta(minutes=1)


def met(monday: date, done: int) -> WeeklyVisitTargetMet:
    return WeeklyVisitTargetMet(
        case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, iso_week=weeks.label_of(monday),
        week_starts_on=monday, visits_required=2, visits_done=done,
    )  # fmt: skip


def missed(monday: date, done: int, run: int) -> WeeklyVisitTargetMissed:
    return WeeklyVisitTargetMissed(
        case_id=CASE_ID, plan_id=PLAN, club_id=CLUB, iso_week=weeks.label_of(monday),
        week_starts_on=monday, visits_required=2, visits_done=done, consecutive_misses=run,
    )  # fmt: skip


def test_week_53_exists_in_2026_and_not_in_2027() -> None:
    assert weeks.week_of(date(2027, 1, 3)) == (2026, 53)
    assert weeks.monday(2026, 53) == W53
    assert weeks.next_week(2026, 53) == (2027, 1)
    assert weeks.previous_week(2027, 1) == (2026, 53)
    with pytest.raises(InvalidWeek):
        weeks.monday(2027, 53)


def test_the_timer_is_keyed_by_case_and_week_and_due_after_sunday_in_viet_nam() -> None:
    assert week_key(CASE_ID, 2026, 53) == f"week:{CASE_ID}:2026-W53"
    due = week_close_due(2026, 53)
    assert due >= vn_start_of_day(date(2027, 1, 4))  # Monday 00:00 in Ha Noi = Sunday 17:00 UTC
    assert due.tzinfo is not None


def test_a_week_is_not_closed_before_it_ends_in_viet_nam() -> None:
    # Sunday 2027-01-03 16:59 UTC is 23:59 in Ha Noi: W53 is not over.
    sunday_night = datetime(2027, 1, 3, 16, 59, tzinfo=UTC)
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.close_week(s, 2026, 53, sunday_night)
    ).then_raises(WeekNotOver, field="iso_week")
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.close_week(s, 2027, 53, sunday_night)
    ).then_raises(InvalidWeek, field="iso_week")


def test_two_visits_meet_the_target_of_week_53() -> None:
    history = (*ACTIVE, visit(1, W53), visit(2, date(2027, 1, 3)))
    spec(CASE).given(*history).when(lambda s: visits.close_week(s, 2026, 53, after(W53))).then(
        met(W53, 2)
    )


def test_two_misses_in_a_row_across_the_new_year_escalate_once() -> None:
    clock = FakeClock(after(W52))
    first = spec(CASE).given(*ACTIVE, visit(1, W52))
    first.when(lambda s: visits.close_week(s, 2026, 52, clock.now())).then(missed(W52, 1, 1))

    clock.set(after(W53))
    second = first.given(missed(W52, 1, 1))
    second.when(lambda s: visits.close_week(s, 2026, 53, clock.now())).then(
        missed(W53, 0, 2),
        CaseEscalated(case_id=CASE_ID, club_id=CLUB, iso_week="2026-W53", consecutive_misses=2),
    )

    clock.set(after(W01))
    escalated = CaseEscalated(
        case_id=CASE_ID, club_id=CLUB, iso_week="2026-W53", consecutive_misses=2
    )
    third = second.given(missed(W53, 0, 2), escalated)
    third.when(lambda s: visits.close_week(s, 2027, 1, clock.now())).then(missed(W01, 0, 3))


def test_a_late_visit_turns_a_closed_miss_into_a_hit_and_breaks_the_run() -> None:
    history = (*ACTIVE, visit(1, W53), missed(W53, 1, 1))
    late = RecordVisit(
        visit_id=uid(150), case_id=CASE_ID, volunteer_ids=(LAN,), visited_on=date(2027, 1, 2)
    )
    recorded_on = after(W01)  # uploaded a week later, after W53 was closed
    outcome = spec(CASE).given(*history).when(lambda s: visits.record_visit(s, late, recorded_on))
    outcome.then(
        outcome.events[0],
        WeeklyVisitTargetMetLate(
            case_id=CASE_ID, club_id=CLUB, iso_week="2026-W53", visits_required=2,
            visits_done=2, visit_id=uid(150),
        ),
    )  # fmt: skip
    corrected = (*history, *outcome.events)
    # W01 is missed too, but W53 is now a hit: a run of one, no escalation.
    spec(CASE).given(*corrected).when(lambda s: visits.close_week(s, 2027, 1, recorded_on)).then(
        missed(W01, 0, 1)
    )


def test_a_late_visit_that_still_leaves_the_week_short_changes_nothing_else() -> None:
    history = (*ACTIVE, missed(W53, 0, 1))
    late = RecordVisit(
        visit_id=uid(150), case_id=CASE_ID, volunteer_ids=(LAN,), visited_on=date(2027, 1, 2)
    )
    outcome = spec(CASE).given(*history).when(lambda s: visits.record_visit(s, late, after(W01)))
    assert len(outcome.events) == 1


def test_a_week_closes_once() -> None:
    spec(CASE).given(*ACTIVE, missed(W52, 0, 1)).when(
        lambda s: visits.close_week(s, 2026, 52, after(W52))
    ).then_nothing()


def test_weeks_before_the_first_full_week_or_while_suspended_do_not_count() -> None:
    spec(CASE).given(*ACTIVE).when(
        lambda s: visits.close_week(s, 2026, 51, after(date(2026, 12, 14)))
    ).then_nothing()
    suspended = CareSuspended(case_id=CASE_ID, club_id=CLUB, suspended_on=W52, reason="hospital")
    spec(CASE).given(*ACTIVE, suspended).when(
        lambda s: visits.close_week(s, 2026, 52, after(W52))
    ).then_nothing()


def test_a_plan_starting_mid_week_is_held_to_the_next_full_week() -> None:
    assert weeks.first_full_week(date(2026, 12, 25)) == (2026, 53)
    assert weeks.first_full_week(date(2026, 12, 28)) == (2026, 53)
    assert weeks.first_full_week(date(2026, 12, 29)) == (2027, 1)
