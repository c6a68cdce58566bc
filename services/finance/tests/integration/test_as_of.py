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


async def test_the_fund_statement_does_not_depend_on_the_order_repayments_were_keyed_in(
    world: World,
) -> None:
    # Two borrowers with the same loan and the same paper receipts: 10,000 on 25 January,
    # 1,005,000 on 21 February. The first loan's are typed in the order received; the
    # second's in reverse, so its later receipt first took installment 1's interest and
    # was split again when the earlier one came in.
    in_order = await world.issued_loan(world.members[0])
    reversed_ = await world.issued_loan(world.members[1])
    receipts = [(date(2026, 1, 25), 10_000), (date(2026, 2, 21), 1_005_000)]
    for loan, order in ((in_order, receipts), (reversed_, receipts[::-1])):
        for received_on, amount in order:
            await world.ok(
                "PostRepayment",
                loan_id=loan,
                repayment_id=new_id(),
                received_on=received_on,
                amount=amount,
            )

    async def statement() -> list[tuple[str, str, int, int, int]]:
        got = await world.ask("FundStatement", club_id=world.club, as_of=date(2026, 2, 28))
        return [
            (m["fund_type"], m["month"], m["inflow"], m["outflow"], m["closing"])
            for m in got["months"]
        ]

    async def all_posted() -> bool:
        months = await statement()
        return ("income_generation", "2026-02-01", 2_000_000, 0, 16_000_000) in months

    await wait_until(all_posted, timeout=20, message="fund statement lagging")
    # Whichever order: January's receipts paid 10,000 interest each, February's the other
    # 5,000 and 1,000,000 principal: the statement a treasurer writes from the receipts.
    assert await statement() == [
        ("activity", "2026-01-01", 20_000, 0, 20_000),
        ("activity", "2026-02-01", 10_000, 0, 30_000),
        ("income_generation", "2026-01-01", 20_000_000, 6_000_000, 14_000_000),
        ("income_generation", "2026-02-01", 2_000_000, 0, 16_000_000),
    ]
    loans = {
        x["loan_id"]: (x["principal_paid"], x["interest_paid"])
        for x in (await world.ask("LoanBook", club_id=world.club, as_of=date(2026, 2, 28)))["loans"]
    }
    assert loans[str(in_order)] == loans[str(reversed_)] == (1_000_000, 15_000)
