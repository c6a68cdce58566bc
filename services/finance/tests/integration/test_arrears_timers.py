"""The durable scheduler with a fake clock: a missed installment becomes overdue on the right
day, moves through the buckets, and a DelinquencyPaused window holds the count."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from finance.application.aggregates import LOAN
from finance.definition import definition
from ishc_contracts import new_id
from ishc_runtime.clock import FakeClock, vn_start_of_day
from ishc_runtime.service import ServiceContext

from .helpers import approved_loan, command, finance_context

pytestmark = pytest.mark.integration


async def overdue_events(ctx: ServiceContext, loan: UUID) -> list[tuple[str, int, str]]:
    rows = await ctx.pool.fetch(
        "SELECT data FROM events WHERE stream_id = $1 AND type = 'finance.LoanBecameOverdue'"
        " ORDER BY version",
        LOAN.stream_id(loan),
    )
    found = [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
    return [(d["as_of"], d["days_overdue"], d["bucket"]) for d in found]


async def test_a_missed_installment_ages_through_the_buckets_and_pauses(database_dsn: str) -> None:
    clock = FakeClock(datetime(2026, 1, 20, 3, 0, tzinfo=UTC))
    club = new_id()
    run = definition().routes.run
    async with finance_context(database_dsn, clock) as ctx:
        await run(
            ctx,
            command(
                "CapitaliseFund",
                club_id=club,
                fund_type="income_generation",
                amount=5_000_000,
                source="project",
                received_on=date(2026, 1, 1),
            ),
        )
        loan = await approved_loan(ctx.store, club, new_id(), 3_000_000)
        # Disbursed 20 Jan: due 20 Feb, 20 Mar, 20 Apr; one timer per installment.
        await run(ctx, command("DisburseLoan", loan_id=loan, disbursed_on=date(2026, 1, 20)))
        assert (await ctx.scheduler.get(f"overdue:{loan}:1")) is not None

        async def at(day: date) -> None:
            clock.set(vn_start_of_day(day) + timedelta(minutes=1))
            while await ctx.scheduler.fire_due():
                pass

        await at(date(2026, 2, 20))  # the due date itself: nothing yet
        assert await overdue_events(ctx, loan) == []
        await at(date(2026, 2, 21))  # the day after: one day overdue
        assert await overdue_events(ctx, loan) == [("2026-02-21", 1, "1-30")]

        # A flood: arrears stop counting 1..10 March (10 days).
        await run(
            ctx,
            command(
                "PauseDelinquency",
                loan_id=loan,
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 3, 10),
                reason="disaster",
            ),
        )
        await at(date(2026, 3, 23))  # 31 calendar days, 21 counted: still 1-30
        assert await overdue_events(ctx, loan) == [("2026-02-21", 1, "1-30")]
        await at(date(2026, 4, 1))  # 40 calendar days, 30 counted
        assert len(await overdue_events(ctx, loan)) == 1
        await at(date(2026, 4, 2))  # day 31 counted: the next bucket
        assert await overdue_events(ctx, loan) == [
            ("2026-02-21", 1, "1-30"),
            ("2026-04-02", 31, "31-60"),
        ]
        await at(date(2026, 5, 2))
        await at(date(2026, 6, 1))
        assert [e[1:] for e in await overdue_events(ctx, loan)] == [
            (1, "1-30"),
            (31, "31-60"),
            (61, "61-90"),
            (91, "90+"),
        ]
