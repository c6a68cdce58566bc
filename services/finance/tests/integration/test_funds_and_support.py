"""Mutual aid, in-kind revolving support, write-off with recovery and closing the books,
through the running service."""

from __future__ import annotations

from datetime import date

import pytest

from finance.application.aggregates import FUND
from ishc_contracts import new_id
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.testing.waiting import wait_until

from .helpers import JAN, World, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = pytest.mark.integration


async def test_aid_in_kind_support_and_families_helped(world: World) -> None:
    borrower, holder = world.members
    await world.ok(
        "CapitaliseFund",
        club_id=world.club,
        fund_type="mutual_aid",
        amount=2_000_000,
        source="donation",
        received_on=JAN,
    )
    aid = await world.decision(None, kind="mutual_aid_grant")
    await world.ok(
        "GrantMutualAid",
        club_id=world.club,
        grant_id=new_id(),
        member_id=holder,
        amount=500_000,
        reason="illness",
        granted_on=JAN,
        decision_id=aid,
    )
    refused = await world.send(
        "GrantMutualAid",
        club_id=world.club,
        grant_id=new_id(),
        member_id=holder,
        amount=1_500_001,
        reason="illness",
        granted_on=JAN,
        decision_id=aid,
    )
    assert refused.problem is not None and refused.problem.type == "insufficient-cash"

    cow, calf = new_id(), new_id()
    await world.ok(
        "LendInKindAsset",
        asset_id=cow,
        club_id=world.club,
        member_id=holder,
        asset_type="cow",
        value=15_000_000,
        lent_on=JAN,
        pass_on_due=date(2027, 6, 1),
    )
    loan = await world.issued_loan(borrower)
    await world.ok(
        "PassOnAsset",
        asset_id=cow,
        to_member_id=borrower,
        next_asset_id=calf,
        passed_on=date(2026, 5, 1),  # a fact: not after today
        next_pass_on_due=date(2028, 9, 1),
    )

    scheduler = world.service.context.scheduler
    for asset in (cow, calf):  # a timer checks each pass-on the day after it is due
        assert await scheduler.get(f"pass-on:{asset}") is not None

    async def helped() -> bool:
        got = await world.ask("PortfolioIndicators", club_id=world.club, as_of=date(2026, 3, 1))
        return bool(got["families_helped"] == 2 and got["borrowers"] == 1)

    await wait_until(helped, timeout=20, message="indicators lagging")
    got = await world.ask("PortfolioIndicators", club_id=world.club, as_of=date(2026, 3, 1))
    assert got["outstanding"] == 3_000_000 and got["par30"] == 0.0
    assert got["repayment_rate"] == 0.0  # 1,015,000 fell due on 21 Feb, nothing paid

    await world.ok(
        "RescheduleLoan",
        loan_id=loan,
        rescheduled_on=date(2026, 3, 5),
        term_months=4,
        reason="typhoon",
    )

    async def rescheduled() -> bool:
        got = await world.ask("GetLoan", loan_id=loan, as_of=date(2026, 3, 31))
        dues = [date.fromisoformat(i["due_on"]) for i in got["installments"]]
        return dues == [date(2026, m, 21) for m in (4, 5, 6, 7)]

    await wait_until(rescheduled, timeout=20, message="schedule not replaced")
    # A date before the rescheduling is read with the schedule of its day: on 1 March the
    # February installment was 8 days overdue; on 31 March, under the new one, nothing is.
    before = await world.ask("GetLoan", loan_id=loan, as_of=date(2026, 3, 1))
    assert before["installments"][0]["due_on"] == "2026-02-21"
    assert before["days_overdue"] == 8
    after = await world.ask("GetLoan", loan_id=loan, as_of=date(2026, 3, 31))
    assert after["days_overdue"] == 0

    statement = await world.ask("FundStatement", club_id=world.club)
    aid_months = [m for m in statement["months"] if m["fund_type"] == "mutual_aid"]
    assert [(m["inflow"], m["outflow"], m["closing"]) for m in aid_months] == [
        (2_000_000, 500_000, 1_500_000)
    ]


async def test_write_off_recovery_and_month_close(world: World) -> None:
    loan = await world.issued_loan(world.members[0], principal=2_000_000)
    write_off = await world.decision(loan, kind="loan_write_off")
    await world.ok(
        "WriteOffLoan",
        loan_id=loan,
        decision_id=write_off,
        written_off_on=date(2026, 2, 25),
        reason="disaster",
    )
    recovered = await world.ok(
        "PostRecovery",
        loan_id=loan,
        recovery_id=new_id(),
        amount=600_000,
        received_on=date(2026, 3, 2),
    )
    version = recovered["streams"][f"loan-{loan}"]

    ig = await world.service.context.repository.load(
        FUND, FUND.stream_id(fund_id_for(world.club, "income_generation"))
    )
    assert ig.state.cash == 20_000_000 - 2_000_000 + 600_000

    closed = await world.ok("CloseBooks", club_id=world.club, month=date(2026, 2, 1))
    assert len(closed["event_ids"]) == 1  # only the revolving fund had postings
    late = await world.send(
        "CapitaliseFund",
        club_id=world.club,
        fund_type="income_generation",
        amount=1_000,
        source="donation",
        received_on=date(2026, 2, 28),
    )
    assert late.problem is not None and late.problem.type == "invalid-state"
    assert [e.field for e in late.problem.errors] == ["received_on"]

    async def closing_shown() -> bool:
        got = await world.ask("FundStatement", club_id=world.club)
        return len(got["closings"]) == 1

    await wait_until(closing_shown, timeout=20, message="statement lagging")
    closing = (await world.ask("FundStatement", club_id=world.club))["closings"][0]
    assert (closing["month"], closing["opening"], closing["closing"]) == (
        "2026-02-01",
        0,
        18_000_000,
    )
    book = await world.ask("GetLoan", min_version=version, loan_id=loan)
    assert (book["status"], book["written_off"], book["recovered"]) == (
        "written_off",
        2_000_000 + 30_000,
        600_000,
    )
