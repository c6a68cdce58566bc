"""Races against real Postgres: many disbursements for one fund never overdraw it; many
applications of one member open one loan."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from finance.application.aggregates import FUND
from finance.definition import definition
from finance.domain.errors import InsufficientCash, LoanLimitReached
from ishc_contracts import new_id
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.store.eventstore import ConcurrencyError

from .helpers import approved_loan, command, finance_context

pytestmark = pytest.mark.integration

LOANS, PRINCIPAL, CAPITAL = 24, 1_000_000, 10_500_000


async def test_racing_disbursements_never_take_the_fund_below_zero(database_dsn: str) -> None:
    club = new_id()
    async with finance_context(database_dsn) as ctx:
        run = definition().routes.run
        await run(
            ctx,
            command(
                "CapitaliseFund",
                club_id=club,
                fund_type="income_generation",
                amount=CAPITAL,
                source="project",
                received_on=date(2026, 1, 1),
            ),
        )
        loans = [await approved_loan(ctx.store, club, new_id(), PRINCIPAL) for _ in range(LOANS)]

        async def disburse(loan: object) -> str:
            cmd = command("DisburseLoan", loan_id=loan, disbursed_on=date(2026, 1, 20))
            while True:  # a caller retries a conflict reply with the same command
                try:
                    await run(ctx, cmd)
                except InsufficientCash:
                    return "refused"
                except ConcurrencyError:
                    continue
                return "disbursed"

        outcomes = await asyncio.gather(*(disburse(loan) for loan in loans))

        fund = await ctx.repository.load(
            FUND, FUND.stream_id(fund_id_for(club, "income_generation"))
        )
        disbursed = outcomes.count("disbursed")
        assert disbursed == CAPITAL // PRINCIPAL == 10
        assert outcomes.count("refused") == LOANS - 10
        assert fund.state.cash == CAPITAL - disbursed * PRINCIPAL == 500_000
        stored = await ctx.pool.fetchval(
            "SELECT count(*) FROM events WHERE type = 'finance.LoanCashDisbursed'"
        )
        issued = await ctx.pool.fetchval(
            "SELECT count(*) FROM events WHERE type = 'finance.LoanIssued'"
        )
        assert stored == issued == disbursed


async def test_racing_applications_of_one_member_open_one_loan(database_dsn: str) -> None:
    club, member = new_id(), new_id()
    async with finance_context(database_dsn) as ctx:
        run = definition().routes.run
        # The member as finance's membership projection would hold them (fed over the bus in
        # test_service.py; written directly here, where only the race matters).
        await ctx.pool.execute(
            "INSERT INTO finance_members (member_id, club_id, status, joined_on)"
            " VALUES ($1, $2, 'active', '2025-06-01')",
            member,
            club,
        )

        async def apply() -> str:
            cmd = command(
                "SubmitLoanApplication",
                loan_id=new_id(),
                club_id=club,
                member_id=member,
                principal=2_000_000,
                purpose="crops",
                applied_on=date(2026, 1, 10),
            )
            while True:
                try:
                    await run(ctx, cmd)
                except LoanLimitReached:
                    return "refused"
                except ConcurrencyError:
                    continue
                return "applied"

        outcomes = await asyncio.gather(*(apply() for _ in range(12)))

        assert outcomes.count("applied") == 1
        applied = await ctx.pool.fetchval(
            "SELECT count(*) FROM events WHERE type = 'finance.LoanApplied'"
        )
        assert applied == 1
