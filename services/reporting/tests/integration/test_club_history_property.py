"""Property (issue #19's acceptance): one club's paper history — members joining and leaving,
loans with on-time, late, partial and missed instalments, a care case and its home visits,
entitlement claims — keyed in live, all at once months later, in random order, or with the
phones' visits and the repayments uploaded twice, gives every indicator N1-N16 on every
month end and for the year identical across the orders, through the real domains (finance's
repayments and arrears, care's visits and week verdicts) and reporting's projections; and
the members, women, 60-or-older, outstanding principal, PAR30 and weekly verdicts equal a
reference worked out in this test from the paper history alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from care.application.aggregates import CASE
from care.application.timers import week_close_due
from care.domain import lifecycle, visits, weeks
from care.domain.case import Case
from ishc_contracts import Event
from ishc_contracts.advocacy.events import EntitlementApproved, EntitlementCaseOpened
from ishc_contracts.care.commands import AssignVolunteers, RecordVisit
from ishc_contracts.care.events import (
    CarePlanOpened,
    CareReferralReceived,
    NeedsAssessed,
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_contracts.membership.events import (
    AdminUnitPeriod,
    ClubEstablished,
    MemberJoined,
    MemberLeft,
)
from ishc_contracts.reporting.queries import Indicators
from ishc_runtime.clock import vn_start_of_day
from ishc_runtime.store.migrations import migrate
from reporting.application.facts import LOANS
from reporting.application.indicators import share
from reporting.application.queries import indicators
from reporting.definition import definition

from .ordering import apply, interleaved, restart
from .test_entry_order import CLUB, entered, paper_books, paper_reference

pytestmark = pytest.mark.integration

PLACE = AdminUnitPeriod(
    scheme="2025_34", province_code="01", province_name="Thành phố Hà Nội",
    ward_code="00004", ward_name="Phường Ba Đình", valid_from=date(2025, 7, 1),
)  # fmt: skip
FOUNDED = date(2025, 12, 1)
MONTH_ENDS = [date(2026, m, 1) - timedelta(days=1) for m in range(2, 13)] + [date(2026, 12, 31)]
PERIODS = [f"2026-{m:02d}" for m in range(1, 13)] + ["2026", "2026-Q2"]
REPORT_DAY = date(2027, 6, 30)  # everything is typed in by then
KEYED_AT = datetime(2027, 6, 30, 3, 0, tzinfo=UTC)
# The care case: plan from Monday 5 Jan 2026, two visits a week, for ten weeks.
PLAN_STARTS, CARE_WEEKS = date(2026, 1, 5), 10
CASE_ID, PLAN_ID, CARED = UUID(int=0xCA5E), UUID(int=0x91A), UUID(int=0xCA4ED)
VOLUNTEER = UUID(int=0x7011)


@dataclass(frozen=True)
class PaperMember:
    person_id: UUID
    sex: str
    born: date
    joined_on: date
    left_on: date | None


@dataclass(frozen=True)
class PaperClub:
    members: tuple[PaperMember, ...]
    loans: list[Any]  # reporting's paper_books: (loan, disbursed, schedule, payments)
    assigned_on: date
    visited: tuple[date, ...]
    claims: tuple[tuple[UUID, date, date | None], ...]  # (case, opened on, approved on)


@st.composite
def paper_clubs(draw: st.DrawFn) -> PaperClub:
    members = []
    for n in range(draw(st.integers(min_value=1, max_value=6))):
        joined = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 200)))
        stays = draw(st.one_of(st.none(), st.integers(min_value=10, max_value=300)))
        members.append(
            PaperMember(
                person_id=UUID(int=0x9000 + n),
                sex=draw(st.sampled_from(["female", "male"])),
                # Some turn 60 during 2026: "older" changes between month ends.
                born=date(draw(st.integers(1930, 1990)), draw(st.integers(1, 12)), 1),
                joined_on=joined,
                left_on=None if stays is None else joined + timedelta(days=stays),
            )
        )
    assigned = PLAN_STARTS + timedelta(days=draw(st.integers(0, 20)))
    days: list[date] = []
    for week in range(CARE_WEEKS):
        monday = PLAN_STARTS + timedelta(days=7 * week)
        days += [
            monday + timedelta(days=d) for d in sorted(draw(st.sets(st.integers(0, 6), max_size=3)))
        ]
    claims = []
    for n in range(draw(st.integers(0, 3))):
        opened = date(2026, 2, 1) + timedelta(days=draw(st.integers(0, 200)))
        decided = draw(st.one_of(st.none(), st.integers(5, 90)))
        claims.append(
            (
                UUID(int=0xC1A1 + n),
                opened,
                None if decided is None else opened + timedelta(days=decided),
            )
        )
    return PaperClub(tuple(members), draw(paper_books()), assigned, tuple(days), tuple(claims))  # fmt: skip


# -- the reference, from the paper history alone --------------------------------------------


def members_reference(club: PaperClub, day: date) -> tuple[int, int, int]:
    """(members, women, 60 or older) at the end of `day`."""
    present = [
        m for m in club.members if m.joined_on <= day and (m.left_on is None or m.left_on > day)
    ]
    older = [m for m in present if date(m.born.year + 60, m.born.month, m.born.day) <= day]
    return len(present), sum(m.sex == "female" for m in present), len(older)  # fmt: skip


def weeks_reference(club: PaperClub) -> dict[str, bool]:
    """Every week of the plan whose Sunday had volunteers assigned: met with two visits."""
    out = {}
    for week in range(CARE_WEEKS):
        monday = PLAN_STARTS + timedelta(days=7 * week)
        if club.assigned_on <= monday + timedelta(days=6):
            done = sum(monday <= d <= monday + timedelta(days=6) for d in club.visited)
            out[weeks.label_of(monday)] = done >= 2
    return out


# -- keying the history in: the domains as the handlers drive them --------------------------


def membership_and_claims(club: PaperClub) -> list[Event]:
    events: list[Event] = [
        ClubEstablished(club_id=CLUB, name="CLB", admin_unit="01:00004",
                        admin_unit_history=(PLACE,), founded_on=FOUNDED)
    ]  # fmt: skip
    for n, m in enumerate(club.members):
        member_id = UUID(int=0x8000 + n)
        events.append(
            MemberJoined(member_id=member_id, club_id=CLUB, person_id=m.person_id,
                         full_name=f"M{n}", sex=m.sex, birth_date=m.born, joined_on=m.joined_on)
        )  # fmt: skip
        if m.left_on is not None:
            events.append(
                MemberLeft(member_id=member_id, club_id=CLUB, person_id=m.person_id,
                           left_on=m.left_on, reason="moved")
            )  # fmt: skip
    for case_id, opened, approved in club.claims:
        events.append(
            EntitlementCaseOpened(case_id=case_id, person_id=club.members[0].person_id,
                                  club_id=CLUB, scheme="health_insurance", opened_on=opened,
                                  trigger="member_request")
        )  # fmt: skip
        if approved is not None:
            events.append(EntitlementApproved(case_id=case_id, club_id=CLUB, decided_on=approved))
    return events


def care(club: PaperClub, order: str) -> list[Event]:
    """The case's events as care decides them, with the facts keyed in `order`."""
    state: Case = CASE.initial
    out: list[Event] = []

    def take(new: Sequence[Event]) -> None:
        nonlocal state
        for event in new:
            state = CASE.evolve(state, event)
        out.extend(new)

    take([
        CareReferralReceived(case_id=CASE_ID, club_id=CLUB, person_id=CARED, full_name="B",
                             referred_on=date(2025, 12, 20), referred_by="volunteer"),
        NeedsAssessed(case_id=CASE_ID, club_id=CLUB, assessed_on=date(2025, 12, 22),
                      assessed_by="board"),
        CarePlanOpened(case_id=CASE_ID, plan_id=PLAN_ID, club_id=CLUB, visits_per_week=2,
                       starts_on=PLAN_STARTS),
    ])  # fmt: skip
    # Typed in late: when the last week of the ten closes (the plan goes on; later weeks are
    # not part of this history).
    end = week_close_due(*weeks.week_of(PLAN_STARTS + timedelta(days=7 * (CARE_WEEKS - 1))))
    steps: list[tuple[datetime, int, Any]] = []
    late = order != "live"
    keyed = end if late else vn_start_of_day(club.assigned_on) + timedelta(hours=12)
    steps.append((keyed, 1, "assign"))
    for n, day in enumerate(club.visited):
        at = end if late else vn_start_of_day(day) + timedelta(hours=12)
        steps.append((at, 1, (n, day)))
        if order == "twice":
            steps.append((end + timedelta(minutes=1), 1, (n, day)))
    for week in range(CARE_WEEKS):
        monday = PLAN_STARTS + timedelta(days=7 * week)
        steps.append((week_close_due(*weeks.week_of(monday)), 0, monday))
    steps.sort(key=lambda s: (s[0], s[1]))
    for now, _, what in steps:
        if what == "assign":
            cmd = AssignVolunteers(
                case_id=CASE_ID, volunteer_ids=(VOLUNTEER,), assigned_on=club.assigned_on
            )
            take(visits.with_catch_up(state, lifecycle.assign_volunteers(state, cmd), now))
        elif isinstance(what, date):
            take(visits.close_week(state, *weeks.week_of(what), now))
        else:
            n, day = what
            record = RecordVisit(
                visit_id=UUID(int=0x5000 + n),
                case_id=CASE_ID,
                volunteer_ids=(VOLUNTEER,),
                visited_on=day,
            )
            take(visits.record_visit(state, record, now))  # fmt: skip
    return out


def verdicts(events: Sequence[Event]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for e in events:
        if isinstance(e, WeeklyVisitTargetMet | WeeklyVisitTargetMetLate):
            out[e.iso_week] = True
        elif isinstance(e, WeeklyVisitTargetMissed):
            out[e.iso_week] = False
        elif isinstance(e, WeeklyVerdictWithdrawn):
            del out[e.iso_week]
    return out


_STREAM_KEYS = ("loan_id", "fund_id", "case_id", "person_id", "club_id")


def stream_of(event: Event) -> str:
    key = next(getattr(event, k) for k in _STREAM_KEYS if getattr(event, k, None) is not None)
    return f"{event.aggregate}-{key}"


async def project(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    await restart(conn)
    versions: dict[str, int] = {}
    for event in events:
        stream = stream_of(event)
        versions[stream] = versions.get(stream, 0) + 1
        await apply(conn, stream, versions[stream], event, KEYED_AT)


async def figures(conn: asyncpg.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for period in PERIODS:
        (report,) = await indicators(conn, Indicators(period=period, level="club", threshold=1))
        out[period] = sorted(report.indicators.items(), key=str)
    for day in MONTH_ENDS:
        rows = await conn.fetch(LOANS, day.replace(day=1), day)
        out[f"loans {day}"] = [(r["outstanding"], r["par30_outstanding"]) for r in rows]
    weeks_seen = await conn.fetch("SELECT week_starts_on, met FROM rpt_care_weeks ORDER BY 1")
    out["weeks"] = {weeks.label_of(r["week_starts_on"]): r["met"] for r in weeks_seen}
    return out


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(club=paper_clubs(), rng=st.randoms(use_true_random=False))
async def test_a_club_history_keyed_in_any_order_gives_the_same_indicators_and_the_reference(
    database_dsn: str, club: PaperClub, rng: Any
) -> None:
    await migrate(database_dsn, *definition().migrations)
    conn = await asyncpg.connect(database_dsn)
    try:
        seen: dict[str, dict[str, Any]] = {}
        for order in ("live", "months later", "random", "twice"):
            finance_order = {"months later": "after the timers", "twice": "random"}.get(
                order, order
            )
            history = [
                *membership_and_claims(club),
                *entered(club.loans, finance_order, rng),
                *care(club, order),
            ]
            if order == "random":  # the streams' events mixed, each stream in its order
                history = interleaved(history, stream_of, rng)
            await project(conn, history)
            seen[order] = await figures(conn)
            assert verdicts(care(club, order)) == weeks_reference(club), order
        first = seen["live"]
        differ = {
            (order, key): sorted(set(map(str, value)) ^ set(map(str, first[key])))
            for order, got in seen.items()
            for key, value in got.items()
            if value != first[key]
        }
        assert differ == {}
        for day in MONTH_ENDS:
            period = day.strftime("%Y-%m")
            got = dict(first[period])
            members, women, older = members_reference(club, day)
            assert (got["members"], got["older_members"]) == (members, older), day
            assert got["women_pct"] == share(women, members), day
            outstanding, at_risk, _, _ = paper_reference(club.loans, day)
            lent = any(disbursed <= day for _, disbursed, _, _ in club.loans)
            assert first[f"loans {day}"] == ([(outstanding, at_risk)] if lent else []), day
        assert first["weeks"] == weeks_reference(club)
    finally:
        await conn.close()
