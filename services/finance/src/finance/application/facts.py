"""What handlers read from finance's own read models before deciding: members and meeting
decisions (projected from membership's events), clubs' meeting days, a member's loans."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from finance.application.aggregates import PRODUCT
from finance.domain.loan import DecisionFact, MemberFact
from finance.domain.product import Product
from finance.domain.rules import ProductTerms
from ishc_runtime.service import ServiceContext


async def member(ctx: ServiceContext, member_id: UUID) -> MemberFact | None:
    row = await ctx.pool.fetchrow(
        "SELECT club_id, status FROM finance_members WHERE member_id = $1", member_id
    )
    return None if row is None else MemberFact(row["club_id"], row["status"] == "active")


async def decision(ctx: ServiceContext, decision_id: UUID) -> DecisionFact | None:
    row = await ctx.pool.fetchrow(
        "SELECT meeting_id, club_id, kind, subject_id FROM finance_decisions"
        " WHERE decision_id = $1",
        decision_id,
    )
    if row is None:
        return None
    return DecisionFact(row["meeting_id"], row["club_id"], row["kind"], row["subject_id"])


async def meeting_day(ctx: ServiceContext, club_id: UUID) -> int | None:
    day: int | None = await ctx.pool.fetchval(
        "SELECT meeting_day FROM finance_clubs WHERE club_id = $1", club_id
    )
    return day


async def product_terms(ctx: ServiceContext, club_id: UUID, on: date) -> ProductTerms:
    loaded = await ctx.repository.load(PRODUCT, PRODUCT.stream_id(club_id))
    state: Product = loaded.state
    return state.terms_on(on)
