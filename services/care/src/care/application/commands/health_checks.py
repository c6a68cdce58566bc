"""Health-check commands: a check-up, which needs the person's consent on its day."""

from __future__ import annotations

from typing import Any

from care.application.aggregates import HEALTH_CHECK
from care.application.routes import routes
from care.domain import health
from ishc_contracts import CommandEnvelope
from ishc_contracts.care.commands import RecordHealthCheck
from ishc_runtime.consent import HEALTH_DATA, require_consent
from ishc_runtime.service import ServiceContext

Result = dict[str, Any]


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
