"""Restructuring commands: reschedule the unpaid part, recover after a write-off, and the
in-kind revolving support chain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from finance.application import facts
from finance.application.aggregates import ASSET, FUND, LOAN
from finance.application.routes import routes
from finance.application.timers import schedule_assessment, schedule_pass_on_check
from finance.domain import asset, fund, restructuring
from ishc_contracts import CommandEnvelope, Event
from ishc_contracts.finance.commands import (
    CheckPassOn,
    LendInKindAsset,
    PassOnAsset,
    PostRecovery,
    RescheduleLoan,
)
from ishc_runtime.commands import Target
from ishc_runtime.service import ServiceContext


@routes.command(RescheduleLoan)
async def reschedule(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RescheduleLoan
) -> dict[str, Any]:
    stream = LOAN.stream_id(cmd.loan_id)
    club_id, _, _ = (await ctx.repository.load(LOAN, stream)).state.ids()
    day = await facts.meeting_day(ctx, club_id)
    result = await ctx.processor.handle(
        env, LOAN, stream, lambda s: restructuring.reschedule(s, cmd, day)
    )
    state = (await ctx.repository.load(LOAN, stream)).state
    for item in state.schedule:
        if item.due_on > cmd.rescheduled_on:
            tag = f"{cmd.rescheduled_on}:{item.number}"
            await schedule_assessment(ctx, cmd.loan_id, item.due_on + timedelta(days=1), tag)
    return result


@routes.command(PostRecovery)
async def recover(ctx: ServiceContext, env: CommandEnvelope, cmd: PostRecovery) -> dict[str, Any]:
    loan_stream = LOAN.stream_id(cmd.loan_id)
    _, fund_id, _ = (await ctx.repository.load(LOAN, loan_stream)).state.ids()
    fund_stream = FUND.stream_id(fund_id)

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        recovered = restructuring.recover(states[loan_stream], cmd)
        postings = [restructuring.recovery_posting(e) for e in recovered]
        received = [e for posting in postings for e in fund.receive(states[fund_stream], posting)]
        return {loan_stream: recovered, fund_stream: received}

    targets = [Target(LOAN, loan_stream), Target(FUND, fund_stream)]
    return await ctx.processor.handle_many(env, targets, decide)


@routes.command(LendInKindAsset)
async def lend(ctx: ServiceContext, env: CommandEnvelope, cmd: LendInKindAsset) -> dict[str, Any]:
    member = await facts.member(ctx, cmd.member_id)
    stream = ASSET.stream_id(cmd.asset_id)
    result = await ctx.processor.handle(env, ASSET, stream, lambda s: asset.lend(s, cmd, member))
    await schedule_pass_on_check(ctx, cmd.asset_id, cmd.pass_on_due)
    return result


@routes.command(PassOnAsset)
async def pass_on(ctx: ServiceContext, env: CommandEnvelope, cmd: PassOnAsset) -> dict[str, Any]:
    receiver = await facts.member(ctx, cmd.to_member_id)
    held, following = ASSET.stream_id(cmd.asset_id), ASSET.stream_id(cmd.next_asset_id)

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        events = asset.pass_on(states[held], states[following], cmd, receiver)
        return {held: events["held"], following: events["next"]}

    targets = [Target(ASSET, held), Target(ASSET, following)]
    result = await ctx.processor.handle_many(env, targets, decide)
    await schedule_pass_on_check(ctx, cmd.next_asset_id, cmd.next_pass_on_due)
    return result


@routes.command(CheckPassOn)
async def check_pass_on(
    ctx: ServiceContext, env: CommandEnvelope, cmd: CheckPassOn
) -> dict[str, Any]:
    stream = ASSET.stream_id(cmd.asset_id)
    return await ctx.processor.handle(
        env, ASSET, stream, lambda s: asset.check_pass_on(s, cmd.asset_id, cmd.as_of)
    )
