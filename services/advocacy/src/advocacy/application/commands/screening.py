"""Screening handlers: facts from advocacy's read models, rules and parameters from the domain."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from advocacy.application.aggregates import PERSON, SCREENING
from advocacy.application.facts import Person, gather, gather_many
from advocacy.application.routes import routes
from advocacy.domain import person, screening
from advocacy.domain.policy_table import TABLE
from advocacy.domain.rules import rule_for
from ishc_contracts import CommandEnvelope
from ishc_contracts.advocacy.commands import RecordBenefitFacts, ScreenEligibility
from ishc_contracts.errors import DomainError, NotFound
from ishc_runtime.service import ServiceContext


@routes.command(ScreenEligibility)
async def screen(
    ctx: ServiceContext, env: CommandEnvelope, cmd: ScreenEligibility
) -> dict[str, Any]:
    rule_for(cmd.scheme)  # an unknown scheme is refused before any read
    return await _screen(ctx, env, cmd, await gather(ctx, cmd.person_id, cmd.as_of))


@routes.command_batch(ScreenEligibility)
async def screen_many(
    ctx: ServiceContext, commands: Sequence[tuple[CommandEnvelope, ScreenEligibility]]
) -> list[Any]:
    """A round of screening timers (a province's members joining): the facts of all of them
    read at once, then each screened and appended on its own, as `screen` would, a few at a
    time. Per command: its result, or the refusal or failure it met."""
    answers: list[Any] = [None] * len(commands)
    wanted: list[int] = []
    for n, (_, cmd) in enumerate(commands):
        try:
            rule_for(cmd.scheme)
        except DomainError as refused:
            answers[n] = refused
            continue
        wanted.append(n)
    found = await gather_many(
        ctx, [(commands[n][1].person_id, commands[n][1].as_of) for n in wanted]
    )
    limit = asyncio.Semaphore(ctx.scheduler.concurrency)

    async def one(n: int, who: Person | NotFound) -> None:
        if isinstance(who, NotFound):
            answers[n] = who
            return
        env, cmd = commands[n]
        async with limit:
            try:
                answers[n] = await _screen(ctx, env, cmd, who)
            except Exception as error:  # this command's answer, not the batch's
                answers[n] = error

    await asyncio.gather(*(one(n, who) for n, who in zip(wanted, found, strict=True)))
    return answers


async def _screen(
    ctx: ServiceContext, env: CommandEnvelope, cmd: ScreenEligibility, who: Person
) -> dict[str, Any]:
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


routes.decides(RecordBenefitFacts, PERSON, lambda c: c.person_id, person.record_facts)
