"""Screening handlers: facts from advocacy's read models, rules and parameters from the domain."""

from __future__ import annotations

from typing import Any

from advocacy.application.aggregates import PERSON, SCREENING
from advocacy.application.facts import gather
from advocacy.application.routes import routes
from advocacy.domain import person, screening
from advocacy.domain.policy_table import TABLE
from advocacy.domain.rules import rule_for
from ishc_contracts import CommandEnvelope
from ishc_contracts.advocacy.commands import RecordBenefitFacts, ScreenEligibility
from ishc_runtime.service import ServiceContext


@routes.command(ScreenEligibility)
async def screen(
    ctx: ServiceContext, env: CommandEnvelope, cmd: ScreenEligibility
) -> dict[str, Any]:
    rule_for(cmd.scheme)  # an unknown scheme is refused before any read
    who = await gather(ctx, cmd.person_id, cmd.as_of)
    return await ctx.processor.handle(
        env,
        SCREENING,
        SCREENING.stream_id(cmd.screening_id),
        lambda s: screening.screen(
            s, screening_id=cmd.screening_id, person_id=cmd.person_id, member_id=who.member_id,
            club_id=who.club_id, scheme=cmd.scheme, as_of=cmd.as_of, facts=who.facts,
            params=TABLE, trigger=cmd.trigger,
        ),
    )  # fmt: skip


@routes.command(RecordBenefitFacts)
async def record_facts(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordBenefitFacts
) -> dict[str, Any]:
    stream = PERSON.stream_id(cmd.person_id)
    return await ctx.processor.handle(env, PERSON, stream, lambda s: person.record_facts(s, cmd))
