"""Property (issue #19): one care case's paper record (plan, the volunteers' assignment,
visits, a stay in hospital) typed in live, all at once after every week-close timer fired, in
any order, or with phones uploading visits twice, ends with the same weekly verdicts; they
equal a reference worked out from the paper record alone: every week from the plan's first
full week in which volunteers were assigned by Sunday and care was not suspended on Sunday
is met when it holds at least the plan's visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from care.application.aggregates import CASE
from care.application.timers import week_close_due
from care.domain import lifecycle, visits, weeks
from care.domain.case import Case
from ishc_contracts import Event
from ishc_contracts.care.commands import AssignVolunteers, RecordVisit, ResumeCare, SuspendCare
from ishc_contracts.care.events import (
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.clock import vn_start_of_day

from .builders import ASSESSED, CASE_ID, LAN, PLANNED, REFERRED, uid

pytestmark = pytest.mark.unit

FIRST = date(2026, 12, 14)  # a Monday two weeks before 2026-W53
WEEKS = 7
END = week_close_due(*weeks.week_of(FIRST + timedelta(days=7 * (WEEKS + 1)))) + timedelta(hours=1)


@dataclass(frozen=True)
class Paper:
    starts_on: date
    assigned_on: date
    visited: tuple[date, ...]
    keyed: tuple[float, ...]  # for each fact (assignment, then visits): 0 live .. 1 at END
    # A stay away (suspended on, resumed on or None) and when each was keyed in (0 .. 1).
    away: tuple[date, date | None] | None = None
    away_keyed: tuple[float, float] = (0.0, 0.0)


@st.composite
def papers(draw: st.DrawFn) -> Paper:
    starts = FIRST + timedelta(days=draw(st.integers(min_value=0, max_value=6)))
    assigned = starts + timedelta(days=draw(st.integers(min_value=0, max_value=20)))
    days: list[date] = []
    for week in range(WEEKS):
        monday = FIRST + timedelta(days=7 * week)
        chosen = draw(st.sets(st.integers(min_value=0, max_value=6), max_size=3))
        days += [monday + timedelta(days=d) for d in sorted(chosen)]
    visited = tuple(d for d in days if d >= starts)
    keyed = tuple(draw(st.floats(0, 1)) for _ in range(len(visited) + 1))
    away = None
    if draw(st.booleans()):
        suspended = assigned + timedelta(days=draw(st.integers(min_value=0, max_value=30)))
        days_away = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=20)))
        resumed = None if days_away is None else suspended + timedelta(days=days_away)
        away = (suspended, resumed)
    away_keyed = (draw(st.floats(0, 1)), draw(st.floats(0, 1)))
    return Paper(starts, assigned, visited, keyed, away, away_keyed)


def suspended_on_(paper: Paper, day: date) -> bool:
    if paper.away is None:
        return False
    start, end = paper.away
    return start <= day and (end is None or day < end)


def reference(paper: Paper) -> dict[str, bool]:
    first = weeks.monday(*weeks.first_full_week(paper.starts_on))
    verdicts = {}
    monday = first
    while week_close_due(*weeks.week_of(monday)) <= END:
        sunday = monday + timedelta(days=6)
        if paper.assigned_on <= sunday and not suspended_on_(paper, sunday):
            done = sum(1 for d in paper.visited if monday <= d <= monday + timedelta(days=6))
            verdicts[weeks.label_of(monday)] = done >= 2
        monday += timedelta(days=7)
    return verdicts


def keyed_at(day: date, fraction: float) -> datetime:
    """When a fact of `day` was typed in: noon that day in Viet Nam (live) up to END."""
    earliest = vn_start_of_day(day) + timedelta(hours=12)
    return earliest + (END - earliest) * fraction


Step = tuple[datetime, int, Any]


def steps_of(
    paper: Paper, fractions: Sequence[float], twice: bool, away_fractions: Sequence[float]
) -> list[Step]:
    assigned_at = keyed_at(paper.assigned_on, fractions[0])
    steps: list[Step] = [(assigned_at, 1, "assign")]
    if paper.away is not None:
        # A stay is typed in after the assignment (only an active case is suspended), and
        # the return after the departure.
        start, end = paper.away
        suspended_at = max(keyed_at(start, away_fractions[0]), assigned_at)
        steps.append((suspended_at, 2, "suspend"))
        if end is not None:
            steps.append((max(keyed_at(end, away_fractions[1]), suspended_at), 3, "resume"))
    for n, day in enumerate(paper.visited):
        at = keyed_at(day, fractions[n + 1])
        steps.append((at, 1, (n, day)))
        if twice:
            steps.append((max(at, END - timedelta(minutes=1)), 1, (n, day)))
    monday = weeks.monday(*weeks.first_full_week(paper.starts_on))
    while (due := week_close_due(*weeks.week_of(monday))) <= END:
        steps.append((due, 0, monday))
        monday += timedelta(days=7)
    return sorted(steps, key=lambda s: (s[0], s[1]))


def run(paper: Paper, steps: Sequence[Step]) -> dict[str, bool]:
    planned = PLANNED.model_copy(update={"starts_on": paper.starts_on})
    state: Case = CASE.initial
    for given_event in (REFERRED, ASSESSED, planned):
        state = CASE.evolve(state, given_event)
    verdicts: dict[str, bool] = {}
    for now, _, what in steps:
        new: list[Event]
        if what in ("suspend", "resume"):
            assert paper.away is not None
            if what == "suspend":
                suspend = SuspendCare(case_id=CASE_ID, suspended_on=paper.away[0])
                new = visits.with_catch_up(state, lifecycle.suspend(state, suspend), now)
            else:
                assert paper.away[1] is not None
                resume = ResumeCare(case_id=CASE_ID, resumed_on=paper.away[1])
                new = visits.with_catch_up(state, lifecycle.resume(state, resume), now)
        elif what == "assign":
            cmd = AssignVolunteers(
                case_id=CASE_ID, volunteer_ids=(LAN,), assigned_on=paper.assigned_on
            )
            new = visits.with_catch_up(state, lifecycle.assign_volunteers(state, cmd), now)
        elif isinstance(what, date):
            new = visits.close_week(state, *weeks.week_of(what), now)
        else:
            n, day = what
            record = RecordVisit(
                visit_id=uid(500 + n), case_id=CASE_ID, volunteer_ids=(LAN,), visited_on=day
            )
            new = visits.record_visit(state, record, now)
        for event in new:
            state = CASE.evolve(state, event)
            if isinstance(event, WeeklyVisitTargetMet | WeeklyVisitTargetMetLate):
                verdicts[event.iso_week] = True
            elif isinstance(event, WeeklyVisitTargetMissed):
                verdicts[event.iso_week] = False
            elif isinstance(event, WeeklyVerdictWithdrawn):
                del verdicts[event.iso_week]
    return verdicts


@settings(max_examples=80, deadline=None)
@given(paper=papers())
def test_every_entry_order_ends_with_the_reference_weekly_verdicts(paper: Paper) -> None:
    want = reference(paper)
    orders = {
        "live": ([0.0] * len(paper.keyed), (0.0, 0.0)),
        "after every timer": ([1.0] * len(paper.keyed), (1.0, 1.0)),
        "any time": (list(paper.keyed), paper.away_keyed),
    }
    for name, (fractions, away) in orders.items():
        for twice in (False, True):
            steps = steps_of(paper, fractions, twice, away)
            assert run(paper, steps) == want, (name, twice)
