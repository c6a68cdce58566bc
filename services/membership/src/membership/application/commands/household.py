"""Household commands: a poverty certificate, decided with the club's state."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import HOUSEHOLD
from membership.application.facts import Result, with_club
from membership.application.routes import routes
from membership.domain import household


@routes.command(c.RecordPovertyCertificate)
async def record_poverty(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordPovertyCertificate
) -> Result:
    return await with_club(
        ctx, env, cmd.club_id, HOUSEHOLD, cmd.household_id,
        lambda cl, hh: household.record_poverty_certificate(cl, hh, cmd),
    )  # fmt: skip
