"""Volunteer commands: registration, decided with the club's state."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import VOLUNTEER
from membership.application.facts import Result, today_of, with_club
from membership.application.routes import routes
from membership.domain import volunteer


@routes.command(c.RegisterVolunteer)
async def register_volunteer(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RegisterVolunteer
) -> Result:
    today = today_of(ctx)
    return await with_club(
        ctx, env, cmd.club_id, VOLUNTEER, cmd.volunteer_id,
        lambda cl, v: volunteer.register_volunteer(cl, v, cmd, today),
    )  # fmt: skip
