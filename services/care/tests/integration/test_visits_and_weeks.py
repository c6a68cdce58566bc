"""Against real Postgres: concurrent duplicate uploads count once; the durable scheduler closes
ISO weeks on a fake clock across 2026-W53 and the new year, and escalates two misses."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from care.application.timers import week_close_due, week_key
from ishc_contracts import new_id
from ishc_runtime.clock import FakeClock
from ishc_runtime.service import Service

from .conftest import command

pytestmark = pytest.mark.integration


async def start_case(care: Service, starts_on: str = "2026-12-21") -> UUID:
    ctx, routes, case = care.context, care.definition.routes, new_id()
    volunteers = [str(new_id()), str(new_id())]
    for cmd in (
        command("ReferForCare", case_id=case, club_id=new_id(), person_id=new_id(),
                full_name="Nguyễn Thị Lan", referred_on="2026-12-01", referred_by="board"),
        command("AssessNeeds", case_id=case, assessed_on="2026-12-02", assessed_by="board"),
        command("OpenCarePlan", case_id=case, plan_id=new_id(), starts_on=starts_on),
        command("AssignVolunteers", case_id=case, assigned_on=starts_on, volunteer_ids=volunteers),
    ):  # fmt: skip
        await routes.run(ctx, cmd)
    return case


async def event_types(care: Service, case: UUID) -> list[str]:
    rows = await care.context.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY version", f"case-{case}"
    )
    return [row["type"].removeprefix("care.") for row in rows]


async def test_duplicate_uploads_submitted_concurrently_count_once(care: Service) -> None:
    case = await start_case(care)
    ctx, routes = care.context, care.definition.routes
    volunteer = str(new_id())
    same_id = new_id()

    def upload(visit_id: Any, *volunteers: str) -> Any:
        return routes.run(ctx, command(
            "RecordVisit", visit_id=visit_id, case_id=case, visited_on="2026-12-29",
            volunteer_ids=list(volunteers)))  # fmt: skip

    # Two phones upload the same visit (same id, different command ids) and three offline
    # copies of it made under new ids, all at once.
    results = await asyncio.gather(
        upload(same_id, volunteer), upload(same_id, volunteer),
        upload(new_id(), volunteer), upload(new_id(), volunteer), upload(new_id(), volunteer),
    )  # fmt: skip

    assert len(results) == 5
    types = await event_types(care, case)
    # Four distinct ids: one is counted, the other three are merged into it, once each.
    assert types.count("VisitCompleted") == 1
    assert types.count("VisitMerged") == 3
    completed = await ctx.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'care.VisitCompleted'",
        f"case-{case}",
    )
    assert completed == 1


@pytest.fixture
def week_52_wednesday(clock: FakeClock) -> FakeClock:
    clock.set(week_close_due(2026, 51) + timedelta(days=2))  # Wednesday of 2026-W52
    return clock


async def test_the_scheduler_closes_weeks_across_week_53_and_escalates(
    week_52_wednesday: FakeClock, care: Service
) -> None:
    clock, ctx, routes = week_52_wednesday, care.context, care.definition.routes
    case = await start_case(care)
    timer = await ctx.scheduler.get(week_key(case, 2026, 52))
    assert timer is not None and timer.status == "pending"
    assert timer.due_at == week_close_due(2026, 52)
    for day in ("2026-12-21", "2026-12-23"):
        await routes.run(ctx, command(
            "RecordVisit", visit_id=new_id(), case_id=case, visited_on=day,
            volunteer_ids=[str(new_id())]))  # fmt: skip

    assert await ctx.scheduler.fire_due() == 0  # W52 is not over
    for year, week in ((2026, 52), (2026, 53), (2027, 1)):
        clock.set(week_close_due(year, week))
        assert await ctx.scheduler.fire_due() == 1
        fired = await ctx.scheduler.get(week_key(case, year, week))
        assert fired is not None and fired.status == "fired", fired
    types = await event_types(care, case)
    weekly = [t for t in types if t.startswith(("Weekly", "CaseEscalated"))]
    assert weekly == [
        "WeeklyVisitTargetMet",  # 2026-W52: two visits
        "WeeklyVisitTargetMissed",  # 2026-W53 (28 Dec - 3 Jan): none
        "WeeklyVisitTargetMissed",  # 2027-W01: none, second in a row
        "CaseEscalated",
    ]
    following = await ctx.scheduler.get(week_key(case, 2027, 2))
    assert following is not None and following.status == "pending"

    # A visit on 2 January recorded late (week 53 already closed) brings it to one: still short;
    # a second one makes it a hit.
    for day in ("2027-01-02", "2027-01-03"):
        await routes.run(ctx, command(
            "RecordVisit", visit_id=new_id(), case_id=case, visited_on=day,
            volunteer_ids=[str(new_id())]))  # fmt: skip
    assert (await event_types(care, case))[-1] == "WeeklyVisitTargetMetLate"

    # Closing the case stops the chain of weekly timers.
    await routes.run(ctx, command("CloseCase", case_id=case, closed_on=str(date(2027, 1, 12)),
                                  reason="moved"))  # fmt: skip
    clock.set(week_close_due(2027, 2))
    assert await ctx.scheduler.fire_due() == 1
    assert await ctx.scheduler.get(week_key(case, 2027, 3)) is None
