"""Fund commands: capital, fees, mutual aid; and the club's loan product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from finance.application import facts
from finance.application.aggregates import FUND, PRODUCT
from finance.application.routes import routes
from finance.domain import fund, product
from finance.domain.errors import NotFound, WrongDecision
from ishc_contracts import CommandEnvelope, Event
from ishc_contracts.finance.commands import (
    CapitaliseFund,
    CloseBooks,
    DefineLoanProduct,
    GrantMutualAid,
    RecordMembershipFee,
)
from ishc_contracts.finance.events import FundCapitalised, MembershipFeeReceived, MutualAidGranted
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.commands import Target
from ishc_runtime.service import ServiceContext


@routes.command(CapitaliseFund)
async def capitalise(
    ctx: ServiceContext, env: CommandEnvelope, cmd: CapitaliseFund
) -> dict[str, Any]:
    fund_id = fund_id_for(cmd.club_id, cmd.fund_type)
    event = FundCapitalised(fund_id=fund_id, **cmd.model_dump())
    return await ctx.processor.handle(
        env, FUND, FUND.stream_id(fund_id), lambda s: fund.capitalise(s, event)
    )


@routes.command(RecordMembershipFee)
async def record_fee(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordMembershipFee
) -> dict[str, Any]:
    if await facts.member(ctx, cmd.member_id) is None:
        raise NotFound(f"no member {cmd.member_id} is known to finance", field="member_id")
    fund_id = fund_id_for(cmd.club_id, cmd.fund_type)
    event = MembershipFeeReceived(fund_id=fund_id, **cmd.model_dump(exclude={"fund_type"}))
    return await ctx.processor.handle(
        env, FUND, FUND.stream_id(fund_id), lambda s: fund.receive_fee(s, event)
    )


@routes.command(GrantMutualAid)
async def grant_aid(
    ctx: ServiceContext, env: CommandEnvelope, cmd: GrantMutualAid
) -> dict[str, Any]:
    if await facts.member(ctx, cmd.member_id) is None:
        raise NotFound(f"no member {cmd.member_id} is known to finance", field="member_id")
    decision = await facts.decision(ctx, cmd.decision_id)
    if decision is None or decision.kind != "mutual_aid_grant" or decision.club_id != cmd.club_id:
        raise WrongDecision("no mutual-aid decision of this club", field="decision_id")
    fund_id = fund_id_for(cmd.club_id, "mutual_aid")
    event = MutualAidGranted(
        fund_id=fund_id,
        meeting_id=decision.meeting_id,
        **cmd.model_dump(exclude={"decision_id"}),
    )
    return await ctx.processor.handle(
        env, FUND, FUND.stream_id(fund_id), lambda s: fund.grant_aid(s, event)
    )


routes.decides(DefineLoanProduct, PRODUCT, lambda c: c.club_id, product.define_product)


@routes.command(CloseBooks)
async def close_books(ctx: ServiceContext, env: CommandEnvelope, cmd: CloseBooks) -> dict[str, Any]:
    """Every fund of the club closed through the month, atomically."""
    ids = {
        fund_id_for(cmd.club_id, kind): FUND.stream_id(fund_id_for(cmd.club_id, kind))
        for kind in ("income_generation", "activity", "mutual_aid")
    }

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        return {
            stream: fund.close_books(states[stream], fid, cmd.month) for fid, stream in ids.items()
        }

    return await ctx.processor.handle_many(env, [Target(FUND, s) for s in ids.values()], decide)
