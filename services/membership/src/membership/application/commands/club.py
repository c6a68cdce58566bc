"""Club commands: establish (with its admin units resolved from reference data), charter,
status, board."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import CLUB
from membership.application.facts import Result, scoped, today_of
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


@routes.command(c.AdoptCharter)
async def adopt_charter(ctx: ServiceContext, env: CommandEnvelope, cmd: c.AdoptCharter) -> Result:
    today = today_of(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.adopt_charter(s, cmd, today)
    )


@routes.command(c.ChangeClubStatus)
async def change_club_status(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.ChangeClubStatus
) -> Result:
    today = today_of(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.change_status(s, cmd, today)
    )


@routes.command(c.ElectBoard)
async def elect_board(ctx: ServiceContext, env: CommandEnvelope, cmd: c.ElectBoard) -> Result:
    today = today_of(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.elect_board(s, cmd, today)
    )
