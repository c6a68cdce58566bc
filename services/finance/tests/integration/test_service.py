"""Finance as it runs: membership events over JetStream make a member eligible; a loan is
issued and repaid over request/reply; every projection shows it; a rebuild equals live."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ishc_contracts import new_id
from ishc_contracts.membership.events import (
    MemberLeft,
)
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.rebuild import reset_projection
from ishc_runtime.testing.background import running
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until

from .helpers import JAN, World, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = pytest.mark.integration


async def test_a_loan_issued_and_repaid_shows_in_every_projection_and_rebuilds_equal(
    world: World,
) -> None:
    loan = await world.issued_loan(world.members[0])
    last: dict[str, Any] = {}
    for month in (2, 3, 4):  # due on the club's meeting day, the 21st
        last = await world.ok(
            "PostRepayment",
            loan_id=loan,
            repayment_id=new_id(),
            received_on=date(2026, month, 21),
            amount=1_015_000,
        )
    version = last["streams"][f"loan-{loan}"]

    got = await world.ask("GetLoan", min_version=version, loan_id=loan)
    assert (got["status"], got["principal_paid"], got["interest_paid"], got["stale"]) == (
        "repaid",
        3_000_000,
        45_000,
        False,
    )
    assert got["closed_on"] == "2026-04-21"

    async def statement_settled() -> bool:
        months = (await world.ask("FundStatement", club_id=world.club))["months"]
        return bool(sum(m["inflow"] for m in months if m["fund_type"] == "activity") == 45_000)

    await wait_until(statement_settled, timeout=20, message="fund statement lagging")
    months = (await world.ask("FundStatement", club_id=world.club))["months"]
    revolving = [
        (m["month"], m["inflow"], m["outflow"], m["closing"])
        for m in months
        if m["fund_type"] == "income_generation"
    ]
    assert revolving == [
        ("2026-01-01", 20_000_000, 3_000_000, 17_000_000),
        ("2026-02-01", 1_000_000, 0, 18_000_000),
        ("2026-03-01", 1_000_000, 0, 19_000_000),
        ("2026-04-01", 1_000_000, 0, 20_000_000),
    ]
    assert [m["closing"] for m in months if m["fund_type"] == "activity"] == [
        15_000,
        30_000,
        45_000,
    ]

    book = await world.ask("LoanBook", club_id=world.club)
    assert [(b["loan_id"], b["status"]) for b in book["loans"]] == [(str(loan), "repaid")]
    assert book["ageing"] == []

    indicators = await world.ask("PortfolioIndicators", club_id=world.club, as_of=date(2026, 5, 1))
    assert indicators["par30"] is None  # nothing outstanding
    assert indicators["repayment_rate"] == 1.0
    assert (indicators["borrowers"], indicators["members"]) == (1, 2)
    assert indicators["borrowers_share"] == 0.5
    assert indicators["families_helped"] == 1

    await _rebuilds_equal_live(world)


async def _rebuilds_equal_live(world: World) -> None:
    service, pool = world.service, world.service.context.pool
    relay = service.relay
    assert relay is not None

    async def all_caught_up() -> bool:
        lags = [await runner.lag() for runner in service.runners.values()]
        return await relay.lag() == 0 and all(v == 0 for lag in lags for v in lag.values())

    await wait_until(all_caught_up, timeout=20, message="projections lagging")
    rebuilt = [r.projection for r in service.runners.values() if r.projection.tables]
    tables = [t for p in rebuilt for t in p.tables]
    async with pool.acquire() as conn:
        live = {t: await table_rows(conn, t) for t in tables}
    service.stopping.set()  # stop the live runners before emptying their tables
    for task in service._tasks:
        await task
    async with pool.acquire() as conn:
        for projection in rebuilt:
            await reset_projection(conn, projection)
    runners = [
        ProjectionRunner(pool, world.nc, p, service.definition.registry, poll_interval=0.05)
        for p in rebuilt
    ]

    async def rebuilt_caught_up() -> bool:
        lags = [await runner.lag() for runner in runners]
        return all(v == 0 for lag in lags for v in lag.values())

    async with running(*(r.run for r in runners)):
        await wait_until(rebuilt_caught_up, timeout=30, message="rebuild lagging")
    async with pool.acquire() as conn:
        assert {t: await table_rows(conn, t) for t in tables} == live
    assert len(live["finance_loans"]) == 1 and len(live["finance_members"]) == 2


async def test_a_borrower_who_died_leaves_a_case_for_the_board(world: World) -> None:
    member = world.members[1]
    loan = await world.issued_loan(member, principal=2_000_000)
    await world.feed.emit(
        "member",
        member,
        MemberLeft(
            member_id=member,
            club_id=world.club,
            person_id=new_id(),
            left_on=date(2026, 2, 3),
            reason="died",
        ),
    )

    async def case_open() -> bool:
        got = await world.ask("GetLoan", loan_id=loan)
        return bool(got["case_open"])

    await wait_until(case_open, timeout=20, message="no case opened")
    rows = await world.service.context.pool.fetch(
        "SELECT data FROM events WHERE type = 'finance.DeceasedBorrowerCaseOpened'"
    )
    assert len(rows) == 1


async def _count(world: World) -> int:
    found: int = await world.service.context.pool.fetchval("SELECT count(*) FROM events")
    return found


async def test_bad_input_gets_typed_problems_naming_the_field_and_appends_nothing(
    world: World,
) -> None:
    member = world.members[0]
    loan = await world.issued_loan(member, principal=3_000_000)
    await world.ok(
        "PostRepayment", loan_id=loan, repayment_id=new_id(), received_on=JAN, amount=3_045_000
    )
    big = new_id()  # approved, but more than the fund holds
    await world.ok(
        "SubmitLoanApplication",
        loan_id=big,
        club_id=world.club,
        member_id=world.members[1],
        principal=25_000_000,
        term_months=3,
        purpose="livestock",
        applied_on=JAN,
    )
    await world.ok(
        "ApproveLoan", loan_id=big, decision_id=await world.decision(big), approved_on=JAN
    )
    before = await _count(world)

    cases: list[tuple[str, dict[str, Any], str, str]] = [
        (
            "CapitaliseFund",
            {
                "club_id": world.club,
                "fund_type": "activity",
                "amount": 0,
                "source": "donation",
                "received_on": JAN,
            },
            "validation",
            "payload.amount",
        ),
        (
            "PostRepayment",
            {"loan_id": loan, "repayment_id": new_id(), "received_on": JAN, "amount": -5},
            "validation",
            "payload.amount",
        ),
        (
            "PostRepayment",
            {"loan_id": loan, "repayment_id": new_id(), "received_on": JAN, "amount": 1},
            "invalid-state",
            "loan_id",
        ),
        (
            "SubmitLoanApplication",
            {
                "loan_id": new_id(),
                "club_id": world.club,
                "member_id": new_id(),
                "principal": 1_000_000,
                "purpose": "crops",
                "applied_on": JAN,
            },
            "not-found",
            "member_id",
        ),
        ("DisburseLoan", {"loan_id": big, "disbursed_on": JAN}, "insufficient-cash", "principal"),
        (
            "ApproveLoan",
            {"loan_id": new_id(), "decision_id": new_id(), "approved_on": JAN},
            "not-found",
            "loan_id",
        ),
    ]
    for kind, payload, problem_type, field in cases:
        reply = await world.send(kind, **payload)
        assert not reply.ok and reply.problem is not None, kind
        assert reply.problem.type == problem_type, (kind, reply.problem)
        assert field in [issue.field for issue in reply.problem.errors], (kind, reply.problem)
    assert await _count(world) == before


async def test_overpayment_is_refused(world: World) -> None:
    loan = await world.issued_loan(world.members[0], principal=1_000_000)
    before = await _count(world)
    reply = await world.send(
        "PostRepayment", loan_id=loan, repayment_id=new_id(), received_on=JAN, amount=1_015_001
    )
    assert not reply.ok and reply.problem is not None
    assert reply.problem.type == "overpayment"
    assert reply.problem.extra == {"owed": 1_015_000}
    assert await _count(world) == before
