"""Command handlers: load → decide → append (the processor retries on version conflicts).

Domain code never reads the clock: handlers pass `ctx.clock.now()` in.
"""

from __future__ import annotations

from typing import Any

from care.application.aggregates import CASE, HEALTH_CHECK
from care.application.routes import routes
from care.application.timers import schedule_week_close
from care.domain import health, lifecycle, visits, weeks
from ishc_contracts import CommandEnvelope
from ishc_contracts.care.commands import (
    AssessNeeds,
    AssignVolunteers,
    CloseCareWeek,
    CloseCase,
    FlagVolunteerLeft,
    OpenCarePlan,
    RecordHealthCheck,
    RecordMissedVisit,
    RecordVisit,
    ReferForCare,
    ResumeCare,
    SuspendCare,
)
from ishc_runtime.consent import HEALTH_DATA, require_consent
from ishc_runtime.service import ServiceContext

Result = dict[str, Any]
# A visit's health values are health follow-up: they need the person's consent on the day.
VISIT_HEALTH_FIELDS = ("blood_pressure", "observations", "follow_up")


@routes.command(ReferForCare)
async def refer(ctx: ServiceContext, env: CommandEnvelope, cmd: ReferForCare) -> Result:
    stream = CASE.stream_id(cmd.case_id)
    return await ctx.processor.handle(env, CASE, stream, lambda s: lifecycle.refer(s, cmd))


@routes.command(AssessNeeds)
async def assess(ctx: ServiceContext, env: CommandEnvelope, cmd: AssessNeeds) -> Result:
    stream = CASE.stream_id(cmd.case_id)
    return await ctx.processor.handle(env, CASE, stream, lambda s: lifecycle.assess(s, cmd))


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


@routes.command(FlagVolunteerLeft)
async def volunteer_left(
    ctx: ServiceContext, env: CommandEnvelope, cmd: FlagVolunteerLeft
) -> Result:
    stream = CASE.stream_id(cmd.case_id)
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: lifecycle.flag_volunteer_left(s, cmd)
    )


@routes.command(RecordVisit)
async def record_visit(ctx: ServiceContext, env: CommandEnvelope, cmd: RecordVisit) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    health_field = next((f for f in VISIT_HEALTH_FIELDS if getattr(cmd, f) is not None), None)
    if health_field is not None:
        case = (await ctx.repository.load(CASE, stream)).state
        if case.person_id is not None:  # an unknown case is refused by the decision itself
            await require_consent(
                ctx.pool, case.person_id, HEALTH_DATA, cmd.visited_on, field=health_field
            )
    return await ctx.processor.handle(env, CASE, stream, lambda s: visits.record_visit(s, cmd, now))


@routes.command(RecordMissedVisit)
async def record_missed(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordMissedVisit
) -> Result:
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: visits.record_missed_visit(s, cmd, now)
    )


@routes.command(CloseCareWeek)
async def close_week(ctx: ServiceContext, env: CommandEnvelope, cmd: CloseCareWeek) -> Result:
    """Fired by the week's timer; then the next week's timer is set, until the case closes."""
    stream, now = CASE.stream_id(cmd.case_id), ctx.clock.now()
    result = await ctx.processor.handle(
        env, CASE, stream, lambda s: visits.close_week(s, cmd.iso_year, cmd.iso_week, now)
    )
    case = (await ctx.repository.load(CASE, stream)).state
    if case.status not in {"new", "closed"}:
        year, week = weeks.next_week(cmd.iso_year, cmd.iso_week)
        await schedule_week_close(ctx, cmd.case_id, case.club_id, year, week)
    return result


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


@routes.command(RecordHealthCheck)
async def record_check(ctx: ServiceContext, env: CommandEnvelope, cmd: RecordHealthCheck) -> Result:
    stream, now = HEALTH_CHECK.stream_id(cmd.check_id), ctx.clock.now()
    # Health checks are health follow-up: the person's consent must hold on the check's day.
    await require_consent(ctx.pool, cmd.person_id, HEALTH_DATA, cmd.checked_on, field="person_id")
    member_person = None
    if cmd.member_id is not None:
        member_person = await ctx.pool.fetchval(
            "SELECT person_id FROM care_members WHERE member_id = $1", cmd.member_id
        )
    return await ctx.processor.handle(
        env,
        HEALTH_CHECK,
        stream,
        lambda s: health.record_health_check(s, cmd, now, member_person),
    )
