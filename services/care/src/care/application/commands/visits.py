"""Visit commands: a visit (its health values need the person's consent), a missed visit, and
the week's close fired by its timer, which sets the next week's."""

from __future__ import annotations

from typing import Any

from care.application.aggregates import CASE
from care.application.routes import routes
from care.application.timers import schedule_week_close
from care.domain import visits, weeks
from ishc_contracts import CommandEnvelope
from ishc_contracts.care.commands import CloseCareWeek, RecordMissedVisit, RecordVisit
from ishc_runtime.consent import HEALTH_DATA, require_consent
from ishc_runtime.service import ServiceContext

Result = dict[str, Any]
# A visit's health values are health follow-up: they need the person's consent on the day.
VISIT_HEALTH_FIELDS = ("blood_pressure", "observations", "follow_up")


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
