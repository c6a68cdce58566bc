"""Weekly compliance timers: one durable timer per case and ISO week, keyed
`week:<case_id>:<year>-W<week>`, due on the Monday after the week (Viet Nam) plus a grace."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from care.domain import rules, weeks
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_runtime.clock import vn_start_of_day
from ishc_runtime.service import ServiceContext


def week_key(case_id: UUID, year: int, week: int) -> str:
    return f"week:{case_id}:{weeks.label(year, week)}"


def week_close_due(year: int, week: int) -> datetime:
    return vn_start_of_day(weeks.monday(year, week) + timedelta(days=7)) + rules.WEEK_CLOSE_GRACE


async def schedule_week_close(
    ctx: ServiceContext, case_id: UUID, club_id: UUID | None, year: int, week: int
) -> bool:
    command = CommandEnvelope(
        command_id=new_id(),  # replaced by the scheduler with one derived from the key
        type="CloseCareWeek",
        actor=SYSTEM_ACTOR,
        club_id=club_id,
        payload={"case_id": str(case_id), "iso_year": year, "iso_week": week},
    )
    return await ctx.scheduler.schedule(
        week_key(case_id, year, week), week_close_due(year, week), command
    )
