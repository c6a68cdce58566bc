"""Case commands: referral, assessment, care plan (its first week's timer set), volunteers,
suspension, resumption, closing. Load → decide → append (the processor retries on version
conflicts); domain code never reads the clock: handlers pass `ctx.clock.now()` in."""

from __future__ import annotations

from typing import Any

from care.application.aggregates import CASE
from care.application.routes import routes
from care.application.timers import schedule_week_close
from care.domain import lifecycle, visits, weeks
from ishc_contracts import CommandEnvelope
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
from ishc_runtime.service import ServiceContext

Result = dict[str, Any]


routes.decides(ReferForCare, CASE, lambda c: c.case_id, lifecycle.refer)
routes.decides(AssessNeeds, CASE, lambda c: c.case_id, lifecycle.assess)


@routes.command(OpenCarePlan)
async def open_plan(ctx: ServiceContext, env: CommandEnvelope, cmd: OpenCarePlan) -> Result:
    stream = CASE.stream_id(cmd.case_id)
    result = await ctx.processor.handle(env, CASE, stream, lambda s: lifecycle.open_plan(s, cmd))
    year, week = weeks.first_full_week(cmd.starts_on)
    await schedule_week_close(ctx, cmd.case_id, env.club_id, year, week)
    return result


@routes.command(AssignVolunteers)
async def assign(ctx: ServiceContext, env: CommandEnvelope, cmd: AssignVolunteers) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    return await ctx.processor.handle(
        env,
        CASE,
        stream,
        lambda s: visits.with_catch_up(s, lifecycle.assign_volunteers(s, cmd), now),
    )


routes.decides(FlagVolunteerLeft, CASE, lambda c: c.case_id, lifecycle.flag_volunteer_left)


@routes.command(SuspendCare)
async def suspend(ctx: ServiceContext, env: CommandEnvelope, cmd: SuspendCare) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: visits.with_catch_up(s, lifecycle.suspend(s, cmd), now)
    )


@routes.command(ResumeCare)
async def resume(ctx: ServiceContext, env: CommandEnvelope, cmd: ResumeCare) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: visits.with_catch_up(s, lifecycle.resume(s, cmd), now)
    )


@routes.command(CloseCase)
async def close_case(ctx: ServiceContext, env: CommandEnvelope, cmd: CloseCase) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: visits.with_catch_up(s, lifecycle.close(s, cmd), now)
    )
