"""Visits and weekly compliance.

- A visit counts once by `visit_id`: the same id again appends nothing.
- An offline duplicate (another id, same case, a shared volunteer, same day) is merged into
  the first (`VisitMerged`) and not counted.
- `close_week` (fired by the scheduler after the ISO week ends in Viet Nam) records the week
  as met or missed; the second consecutive miss escalates the case to the board, once per run
  of misses.
- A visit recorded late for a week closed as missed that brings it up to the target appends
  `WeeklyVisitTargetMetLate` next to the visit: the miss becomes a hit in every read model,
  and later closes no longer count it in a run of misses. An escalation already made stands.
- Which weeks are judged follows business dates (issue #19), not the case's status when a
  timer fired: a week is judged when home care was running on its Sunday (volunteers
  assigned by then, not suspended, not closed), from the plan's first full week. A late fact
  that makes past weeks count (volunteers assigned or care resumed with a past date) judges
  every such week still without a verdict: the number of weeks judged does not depend on
  when the week-close timer fired.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from care.domain import rules, weeks
from care.domain.case import Case, evolve
from care.domain.errors import BeforePlanStart, InTheFuture, WeekNotOver, WrongCaseStatus
from care.domain.lifecycle import require_open
from care.domain.vitals import check_blood_pressure
from ishc_contracts import Event
from ishc_contracts.care.commands import RecordMissedVisit, RecordVisit
from ishc_contracts.care.events import (
    CaseEscalated,
    VisitCompleted,
    VisitMerged,
    VisitMissed,
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_contracts.vietnam import VN_TZ


def record_visit(state: Case, cmd: RecordVisit, now: datetime) -> list[Event]:
    key = str(cmd.visit_id)
    if key in state.visits or key in state.merged:
        return []  # the same visit uploaded again, even after the case closed
    require_open(state)
    if state.starts_on is None:
        raise WrongCaseStatus("the case has no care plan yet", field="case_id")
    if cmd.visited_on > weeks.vn_today(now):
        raise InTheFuture(f"visited_on {cmd.visited_on} is after today", field="visited_on")
    if cmd.started_at is not None and cmd.started_at > now:
        raise InTheFuture(
            f"started_at {cmd.started_at.isoformat()} is later than now", field="started_at"
        )
    if cmd.visited_on < state.starts_on:
        raise BeforePlanStart(
            f"visited_on {cmd.visited_on} is before the plan start {state.starts_on}",
            field="visited_on",
        )
    check_blood_pressure(cmd.blood_pressure)
    for first_id, first in state.visits.items():
        if first.visited_on == cmd.visited_on and set(first.volunteer_ids) & set(cmd.volunteer_ids):
            return [
                VisitMerged(
                    visit_id=cmd.visit_id,
                    merged_into=UUID(first_id),
                    case_id=cmd.case_id,
                    club_id=state.club_id,
                    visited_on=cmd.visited_on,
                )
            ]
    events: list[Event] = [VisitCompleted(club_id=state.club_id, **cmd.model_dump())]
    label = weeks.label_of(cmd.visited_on)
    closed = state.weeks.get(label)
    if closed is not None and not closed.met:
        monday = weeks.monday(*weeks.week_of(cmd.visited_on))
        done = state.done_in_week(monday) + 1
        if done >= closed.required:
            events.append(
                WeeklyVisitTargetMetLate(
                    case_id=cmd.case_id,
                    club_id=state.club_id,
                    iso_week=label,
                    visits_required=closed.required,
                    visits_done=done,
                    visit_id=cmd.visit_id,
                )
            )
    return events


def record_missed_visit(state: Case, cmd: RecordMissedVisit, now: datetime) -> list[Event]:
    require_open(state)
    if cmd.due_on > weeks.vn_today(now):
        raise InTheFuture(f"due_on {cmd.due_on} is after today", field="due_on")
    key = str(cmd.visit_id)
    if key in state.missed_visits or key in state.visits:
        return []
    return [VisitMissed(club_id=state.club_id, **cmd.model_dump())]


def close_week(state: Case, year: int, week: int, now: datetime) -> list[Event]:
    """The week's verdict, once. Nothing when home care was not running on the week's Sunday
    (business dates, whatever the status when the timer fired), when the week is before the
    plan's first full week, or when it was closed already (a timer fired twice)."""
    monday = weeks.monday(year, week)
    sunday = monday + timedelta(days=6)
    today = weeks.vn_today(now)
    if today <= sunday:
        # A year still to come is the year's fault; a week of this year, the week's.
        field = "iso_year" if year > weeks.week_of(today)[0] else "iso_week"
        raise WeekNotOver(f"{weeks.label(year, week)} ends on {sunday}", field=field)
    if state.plan_id is None or state.starts_on is None:
        return []
    if weeks.first_full_week(state.starts_on) > (year, week):
        return []
    return _judge(state, monday)


def closable_through(now: datetime) -> date:
    """The Monday of the last week whose close time (Monday after, plus the grace) is past."""
    local = now.astimezone(VN_TZ)
    this_monday = local.date() - timedelta(days=local.date().isoweekday() - 1)
    closes = datetime.combine(this_monday, time(0), VN_TZ) + rules.WEEK_CLOSE_GRACE
    return this_monday - timedelta(days=7 if local >= closes else 14)


def with_catch_up(state: Case, events: list[Event], now: datetime) -> list[Event]:
    """`events` (a fact that may be dated in the past: volunteers assigned, care suspended,
    resumed or closed), then what it changes in past weeks whose timers may have fired
    before it was keyed in: the verdicts of weeks it takes out of care are withdrawn, and
    the weeks it brings into care are judged."""
    for event in events:
        state = evolve(state, event)
    withdrawn = withdraw_verdicts(state)
    for event in withdrawn:
        state = evolve(state, event)
    return [*events, *withdrawn, *judge_weeks(state, closable_through(now))]


def withdraw_verdicts(state: Case) -> list[WeeklyVerdictWithdrawn]:
    """The judged weeks in which, as the case now stands, home care was not running on
    Sunday (a suspension or closing dated on or before it): their verdicts no longer count."""
    withdrawn = []
    for label in sorted(state.weeks):
        monday = weeks.monday(*weeks.parse(label))
        sunday = monday + timedelta(days=6)
        if state.in_care_on(sunday):
            continue
        closed = state.closed_on is not None and state.closed_on <= sunday
        withdrawn.append(
            WeeklyVerdictWithdrawn(
                case_id=state.case_id,
                club_id=state.club_id,
                iso_week=label,
                week_starts_on=monday,
                reason="closed" if closed else "suspended",
            )
        )
    return withdrawn


def judge_weeks(state: Case, last_monday: date) -> list[Event]:
    """Verdicts, oldest first, for the weeks from the plan's first full week through the
    week of `last_monday` that have none yet and in which care was running on Sunday."""
    if state.plan_id is None or state.starts_on is None:
        return []
    monday = weeks.monday(*weeks.first_full_week(state.starts_on))
    events: list[Event] = []
    while monday <= last_monday:
        verdict = _judge(state, monday)
        for event in verdict:
            state = evolve(state, event)
        events += verdict
        monday += timedelta(days=7)
    return events


def _judge(state: Case, monday: date) -> list[Event]:
    year, week = weeks.week_of(monday)
    label = weeks.label(year, week)
    if label in state.weeks or not state.in_care_on(monday + timedelta(days=6)):
        return []
    assert state.plan_id is not None  # judge_weeks checked
    done = state.done_in_week(monday)
    common = {
        "case_id": state.case_id,
        "plan_id": state.plan_id,
        "club_id": state.club_id,
        "iso_week": label,
        "week_starts_on": monday,
        "visits_required": state.visits_per_week,
        "visits_done": done,
    }
    if done >= state.visits_per_week:
        return [WeeklyVisitTargetMet(**common)]
    before = state.weeks.get(weeks.label(*weeks.previous_week(year, week)))
    run = before.consecutive_misses + 1 if before is not None and not before.met else 1
    events: list[Event] = [WeeklyVisitTargetMissed(**common, consecutive_misses=run)]
    if run == rules.ESCALATE_AFTER_MISSES:
        events.append(
            CaseEscalated(
                case_id=state.case_id, club_id=state.club_id, iso_week=label, consecutive_misses=run
            )
        )
    return events
