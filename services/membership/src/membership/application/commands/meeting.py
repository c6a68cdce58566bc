"""Meeting commands: hold (decided with the club), attendance, decisions."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import MEETING
from membership.application.facts import Result, in_club, today_of, with_club
from membership.application.routes import routes
from membership.domain import meeting


@routes.command(c.HoldMeeting)
async def hold_meeting(ctx: ServiceContext, env: CommandEnvelope, cmd: c.HoldMeeting) -> Result:
    today = today_of(ctx)
    return await with_club(
        ctx, env, cmd.club_id, MEETING, cmd.meeting_id,
        lambda cl, m: meeting.hold_meeting(cl, m, cmd, today),
    )  # fmt: skip


@routes.command(c.RecordAttendance)
async def record_attendance(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordAttendance
) -> Result:
    stream = MEETING.stream_id(cmd.meeting_id)
    env = await in_club(ctx, env, MEETING, stream)
    return await ctx.processor.handle(
        env, MEETING, stream, lambda s: meeting.record_attendance(s, cmd)
    )


@routes.command(c.RecordDecision)
async def record_decision(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordDecision
) -> Result:
    stream = MEETING.stream_id(cmd.meeting_id)
    env = await in_club(ctx, env, MEETING, stream)
    return await ctx.processor.handle(
        env, MEETING, stream, lambda s: meeting.record_decision(s, cmd)
    )
