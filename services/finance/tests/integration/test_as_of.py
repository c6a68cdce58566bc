"""As-of reads (issue #19): the portfolio, the loan book with its ageing and the fund
statement answer for any date from business dates, before the first due date and long after
90 days overdue alike, whenever the repayments were keyed in."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ishc_contracts import new_id
from ishc_runtime.testing.waiting import wait_until

from .helpers import World, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = pytest.mark.integration


async def test_reads_as_of_any_date_from_business_dates(world: World) -> None:
    # Two loans of 3,000,000 disbursed on 10 January, due on the 21st (the meeting day) of
    # February, March and April: 1,015,000 each. The first borrower paid February's on time,
    # typed in only in May; the second never paid.
    paying = await world.issued_loan(world.members[0])
    missing = await world.issued_loan(world.members[1])
    await world.ok(
        "PostRepayment",
        loan_id=paying,
        repayment_id=new_id(),
        received_on=date(2026, 2, 21),
        amount=1_015_000,
    )

    async def book(as_of: date) -> dict[str, Any]:
        return await world.ask("LoanBook", club_id=world.club, as_of=as_of)

    async def repayment_projected() -> bool:
        loans = (await book(date(2026, 3, 1)))["loans"]
        return any(x["principal_paid"] for x in loans)

    await wait_until(repayment_projected, timeout=20, message="loan book lagging")

    async def portfolio(as_of: date) -> tuple[int, int, float | None]:
        got = await world.ask("PortfolioIndicators", club_id=world.club, as_of=as_of)
        return got["outstanding"], got["at_risk"], got["par30"]

    # Before any installment is due nothing is at risk.
    assert await portfolio(date(2026, 1, 31)) == (6_000_000, 0, 0.0)
    # 1 March: the payer is current, the other 8 days late.
    assert await portfolio(date(2026, 3, 1)) == (5_000_000, 0, 0.0)
    # 30 June: 101 and 129 days overdue, both at risk.
    assert await portfolio(date(2026, 6, 30)) == (5_000_000, 5_000_000, 1.0)

    late = {x["loan_id"]: x for x in (await book(date(2026, 6, 30)))["loans"]}
    assert (late[str(missing)]["days_overdue"], late[str(missing)]["bucket"]) == (129, "90+")
    assert (late[str(paying)]["days_overdue"], late[str(paying)]["bucket"]) == (101, "90+")
    assert late[str(paying)]["oldest_unpaid_installment"] == 2
    assert (await book(date(2026, 6, 30)))["ageing"] == [
        {"bucket": "90+", "loans": 2, "outstanding_principal": 5_000_000}
    ]
    march = await book(date(2026, 3, 1))
    assert march["ageing"] == [
        {"bucket": "1-30", "loans": 1, "outstanding_principal": 3_000_000},
        {"bucket": "current", "loans": 1, "outstanding_principal": 2_000_000},
    ]
    assert (await book(date(2025, 12, 31)))["loans"] == []  # nothing disbursed yet

    loan = await world.ask("GetLoan", loan_id=missing, as_of=date(2026, 12, 31))
    assert (loan["days_overdue"], loan["outstanding_principal"]) == (313, 3_000_000)
    assert loan["repayments"] == []
    # The loan's history: each repayment by the day it was received, up to the day asked.
    paid = await world.ask("GetLoan", loan_id=paying, as_of=date(2026, 6, 30))
    assert [(r["received_on"], r["amount"]) for r in paid["repayments"]] == [
        ("2026-02-21", 1_015_000)
    ]
    before = await world.ask("GetLoan", loan_id=paying, as_of=date(2026, 2, 20))
    assert before["repayments"] == []

    async def statement(as_of: date) -> list[tuple[str, str, int, int, int]]:
        got = await world.ask("FundStatement", club_id=world.club, as_of=as_of)
        return [
            (m["fund_type"], m["month"], m["inflow"], m["outflow"], m["closing"])
            for m in got["months"]
        ]

    async def interest_posted() -> bool:
        return any(row[0] == "activity" for row in await statement(date(2026, 2, 28)))

    await wait_until(interest_posted, timeout=20, message="fund statement lagging")
    assert await statement(date(2026, 1, 31)) == [
        ("income_generation", "2026-01-01", 20_000_000, 6_000_000, 14_000_000)
    ]
    assert await statement(date(2026, 2, 20)) == await statement(date(2026, 1, 31))
    assert await statement(date(2026, 2, 28)) == [
        ("activity", "2026-02-01", 15_000, 0, 15_000),
        ("income_generation", "2026-01-01", 20_000_000, 6_000_000, 14_000_000),
        ("income_generation", "2026-02-01", 1_000_000, 0, 15_000_000),
    ]
