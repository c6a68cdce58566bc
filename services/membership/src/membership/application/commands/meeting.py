"""Meeting commands: hold (decided with the club), attendance, decisions."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import MEETING
from membership.application.facts import (
    Result,
    club_of_stream,
    today_of,
    with_club,
)
from membership.application.routes import routes
from membership.domain import meeting


@routes.command(c.HoldMeeting)
async def hold_meeting(ctx: ServiceContext, env: CommandEnvelope, cmd: c.HoldMeeting) -> Result:
    today = today_of(ctx)
    return await with_club(
        ctx, env, cmd.club_id, MEETING, cmd.meeting_id,
        lambda cl, m: meeting.hold_meeting(cl, m, cmd, today),
    )  # fmt: skip


routes.decides(
    c.RecordAttendance,
    MEETING,
    lambda cmd: cmd.meeting_id,
    meeting.record_attendance,
    scope=club_of_stream,
)


routes.decides(
    c.RecordDecision,
    MEETING,
    lambda cmd: cmd.meeting_id,
    meeting.record_decision,
    scope=club_of_stream,
)
