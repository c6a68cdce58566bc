"""Club commands: establish (with its admin units resolved from reference data), charter,
status, board."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import CLUB
from membership.application.facts import Result, club_named, scoped, today_of
from membership.application.routes import routes
from membership.domain import club
from membership.reference import admin_units


@routes.command(c.EstablishClub)
async def establish_club(ctx: ServiceContext, env: CommandEnvelope, cmd: c.EstablishClub) -> Result:
    units = admin_units.resolve(cmd.admin_unit, cmd.legacy_address)
    today = today_of(ctx)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id),
        CLUB,
        CLUB.stream_id(cmd.club_id),
        lambda s: club.establish_club(s, cmd, units, today),
    )


routes.decides_dated(
    c.AdoptCharter, CLUB, lambda cmd: cmd.club_id, club.adopt_charter, scope=club_named
)


routes.decides_dated(
    c.ChangeClubStatus, CLUB, lambda cmd: cmd.club_id, club.change_status, scope=club_named
)


routes.decides_dated(
    c.ElectBoard, CLUB, lambda cmd: cmd.club_id, club.elect_board, scope=club_named
)
