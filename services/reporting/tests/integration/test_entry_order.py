"""Loan figures on a reporting date depend on business dates only (issue #19): one club's
paper book projected in the order it happened, typed in after every arrears timer fired, or
with its repayments in reverse gives the same outstanding and PAR30 on every date, and the
same interest income per month (N15), and they are the ones worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finance.application.aggregates import LOAN as LOAN_AGG
from finance.domain import servicing
from finance.domain.schedule import build_schedule
from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import (
    Installment,
    LoanApplied,
    LoanApproved,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
    LoanRescheduled,
    RepaymentReallocated,
    RepaymentReceived,
)
from ishc_runtime.store.migrations import migrate
from reporting.application.facts import LOANS, WEEKS
from reporting.definition import definition
from reporting.projections.finance import finance_projection

pytestmark = pytest.mark.integration

CLUB, FUND = UUID(int=0xC1), UUID(int=0xF1)
GOOD, LATE, PARTIAL = UUID(int=1), UUID(int=2), UUID(int=3)  # the loans, one per borrower
DUES = (date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 10))


def approved(loan: UUID) -> LoanApproved:
    return LoanApproved(
        loan_id=loan,
        club_id=CLUB,
        principal=3_000_000,
        term_months=3,
        interest_method="flat",
        monthly_interest_bp=50,
        grace_months=0,
        approved_on=date(2026, 1, 5),
        meeting_id=new_id(),
        decision_id=new_id(),
        product_version=0,
    )


def issued(loan: UUID) -> LoanIssued:
    return LoanIssued(
        loan_id=loan,
        club_id=CLUB,
        fund_id=FUND,
        member_id=UUID(int=100 + loan.int),
        principal=3_000_000,
        disbursed_on=date(2026, 1, 10),
        schedule=tuple(
            Installment(number=n, due_on=due, principal=1_000_000, interest=15_000)
            for n, due in enumerate(DUES, 1)
        ),
    )


def paid(loan: UUID, n: int, on: date, principal: int, interest: int) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=loan,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=UUID(int=1000 * loan.int + n),
        received_on=on,
        principal=principal,
        interest=interest,
    )


def alert(loan: UUID, on: date, installment: int, days: int, bucket: str) -> LoanBecameOverdue:
    return LoanBecameOverdue(
        loan_id=loan,
        club_id=CLUB,
        member_id=UUID(int=100 + loan.int),
        as_of=on,
        installment=installment,
        days_overdue=days,
        bucket=bucket,
        overdue_principal=1_000_000,
        overdue_interest=15_000,
        outstanding_principal=3_000_000,
    )


OPENED = [e for loan in (GOOD, LATE, PARTIAL) for e in (approved(loan), issued(loan))]
REPAYMENTS = [
    *(paid(GOOD, n, due, 1_000_000, 15_000) for n, due in enumerate(DUES, 1)),
    paid(LATE, 1, date(2026, 3, 25), 1_000_000, 15_000),  # 43 days late
    paid(PARTIAL, 1, date(2026, 2, 10), 485_000, 15_000),  # half of the first, then nothing
]
CLOSED = [
    LoanRepaid(
        loan_id=GOOD,
        club_id=CLUB,
        member_id=UUID(int=101),
        repaid_on=DUES[2],
        principal=3_000_000,
        interest=45_000,
    )
]
# What the scheduler said when every timer fired before anything was typed in: all three
# loans overdue the day after the first due date, then later buckets; the good payer's
# repayments, keyed in afterwards, brought it back to current from the day they came in.
ALERTS_BEFORE_ENTRY = [
    *(alert(loan, date(2026, 2, 11), 1, 1, "1-30") for loan in (GOOD, LATE, PARTIAL)),
    *(alert(loan, date(2026, 3, 14), 1, 32, "31-60") for loan in (LATE, PARTIAL)),
    alert(PARTIAL, date(2026, 4, 13), 1, 62, "61-90"),
    LoanBecameCurrent(loan_id=GOOD, club_id=CLUB, as_of=DUES[0]),
]
# Entered live: only the late and the partial payer were ever flagged.
ALERTS_LIVE = [
    *(alert(loan, date(2026, 2, 11), 1, 1, "1-30") for loan in (LATE, PARTIAL)),
    *(alert(loan, date(2026, 3, 14), 1, 32, "31-60") for loan in (LATE, PARTIAL)),
    alert(LATE, date(2026, 3, 25), 2, 15, "1-30"),
]

ORDERS: dict[str, Sequence[Event]] = {
    "live": [*OPENED, *sorted(REPAYMENTS, key=lambda e: e.received_on), *ALERTS_LIVE, *CLOSED],
    "typed in after the timers": [*OPENED, *ALERTS_BEFORE_ENTRY, *REPAYMENTS, *CLOSED],
    "repayments reversed": [*OPENED, *ALERTS_BEFORE_ENTRY, *reversed(REPAYMENTS), *CLOSED],
}

# (outstanding principal, of which more than 30 days overdue), worked out by hand.
EXPECTED = {
    date(2026, 1, 31): (9_000_000, 0),  # nothing due yet
    date(2026, 2, 28): (2_000_000 + 3_000_000 + 2_515_000, 0),  # 18 days at most
    date(2026, 3, 20): (1_000_000 + 3_000_000 + 2_515_000, 3_000_000 + 2_515_000),
    date(2026, 3, 31): (1_000_000 + 2_000_000 + 2_515_000, 2_515_000),  # late payer: 21 days
    date(2026, 6, 30): (2_000_000 + 2_515_000, 2_000_000 + 2_515_000),  # 112 and 140 days
}


async def project(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """Apply reporting's finance projection to `events` in this order (stream versions as
    they would be: one stream per loan)."""
    projection = finance_projection()
    versions: dict[str, int] = {}
    for event in events:
        stream = f"loan-{event.loan_id}"  # type: ignore[attr-defined]
        versions[stream] = versions.get(stream, 0) + 1
        env = EventEnvelope(
            event_id=new_id(),
            type=event.wire_name(),
            schema_version=event.schema_version,
            stream_id=stream,
            stream_type="loan",
            version=versions[stream],
            recorded_at=datetime.now(UTC),
            metadata=EventMetadata(
                correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC)
            ),
            data=event.model_dump(mode="json"),
        )
        writer = projection.writers.get(event.wire_name())
        if writer is not None:
            for write in writer(env, event):
                await conn.execute(write.sql, *write.args)


async def test_par30_and_outstanding_do_not_depend_on_the_entry_order(database_dsn: str) -> None:
    await migrate(database_dsn, *definition().migrations)
    conn = await asyncpg.connect(database_dsn)
    try:
        for order, events in ORDERS.items():
            await conn.execute(f"TRUNCATE {', '.join(finance_projection().tables)}")
            await project(conn, events)
            for day, expected in EXPECTED.items():
                (row,) = await conn.fetch(LOANS, day.replace(day=1), day)
                got = (row["outstanding"], row["par30_outstanding"])
                assert got == expected, f"{order}, as of {day}"
    finally:
        await conn.close()


async def test_a_date_before_a_rescheduling_is_read_with_the_schedule_of_that_day(
    database_dsn: str,
) -> None:
    """LATE's loan, never paid, rescheduled on 20 April into three installments from 20 May:
    on 31 March it was 49 days overdue on the first schedule (at risk); on 31 May it is
    current on the new one; on 30 June the new first installment is 41 days overdue."""
    await migrate(database_dsn, *definition().migrations)
    rescheduled = LoanRescheduled(
        loan_id=LATE,
        club_id=CLUB,
        rescheduled_on=date(2026, 4, 20),
        reason="harvest lost to drought",
        unpaid_principal=3_000_000,
        schedule=tuple(
            Installment(number=n, due_on=date(2026, 4 + n, 20), principal=1_000_000, interest=0)
            for n in (1, 2, 3)
        ),
    )
    conn = await asyncpg.connect(database_dsn)
    try:
        await conn.execute(f"TRUNCATE {', '.join(finance_projection().tables)}")
        await project(conn, [approved(LATE), issued(LATE), rescheduled])
        for day, expected in {
            date(2026, 3, 31): (3_000_000, 3_000_000),
            date(2026, 5, 31): (3_000_000, 0),
            date(2026, 6, 30): (3_000_000, 3_000_000),
        }.items():
            (row,) = await conn.fetch(LOANS, day.replace(day=1), day)
            assert (row["outstanding"], row["par30_outstanding"]) == expected, day
    finally:
        await conn.close()


async def test_a_week_counts_in_the_period_holding_its_thursday(database_dsn: str) -> None:
    """2026-W01 (29 Dec 2025 - 4 Jan 2026) is January 2026's, never December 2025's;
    2026-W53 (28 Dec 2026 - 3 Jan 2027) is December 2026's; 2025-W01 is January 2025's."""
    await migrate(database_dsn, *definition().migrations)
    conn = await asyncpg.connect(database_dsn)
    try:
        for year, week, met in ((2025, 1, True), (2026, 1, False), (2026, 53, True)):
            await conn.execute(
                "INSERT INTO rpt_care_weeks (case_id, club_id, week_starts_on, met, visits_done)"
                " VALUES ($1, $2, $3, $4, $5)",
                UUID(int=year * 100 + week),
                CLUB,
                date.fromisocalendar(year, week, 1),
                met,
                2 if met else 1,
            )
        periods = {
            "2024-12": (date(2024, 12, 1), date(2024, 12, 31), None),
            "2025-01": (date(2025, 1, 1), date(2025, 1, 31), (1, 1)),
            "2025": (date(2025, 1, 1), date(2025, 12, 31), (1, 1)),
            "2025-12": (date(2025, 12, 1), date(2025, 12, 31), None),
            "2026-01": (date(2026, 1, 1), date(2026, 1, 31), (1, 0)),
            "2026": (date(2026, 1, 1), date(2026, 12, 31), (2, 1)),
            "2026-Q4": (date(2026, 10, 1), date(2026, 12, 31), (1, 1)),
            "2027-01": (date(2027, 1, 1), date(2027, 1, 31), None),
        }
        for label, (start, end, expected) in periods.items():
            rows = await conn.fetch(WEEKS, start, end)
            got = (rows[0]["weeks_evaluated"], rows[0]["weeks_met"]) if rows else None
            assert got == expected, label
    finally:
        await conn.close()


# -- the property: reporting's loan figures against a reference from the paper book ------

PAY_KINDS = ("on time", "early", "late", "very late", "part", "missed")


@st.composite
def paper_books(draw: st.DrawFn) -> list[tuple[UUID, date, tuple[Installment, ...], list[Any]]]:
    """Loans as the club's book has them: (loan, disbursed, schedule, [(no., day, VND)])."""
    book = []
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        disbursed = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 90)))
        principal = draw(st.sampled_from([1_000_000, 3_000_000, 7_000_000]))
        schedule = build_schedule(principal, draw(st.integers(2, 5)), "flat", 50, 0, disbursed, 21)
        payments: list[Any] = []
        for item in schedule:
            kind = draw(st.sampled_from(PAY_KINDS))
            if kind == "missed":
                continue
            shift = {"on time": 0, "early": -5, "late": 20, "very late": 75, "part": 3}[kind]
            amount = item.principal + item.interest
            amount = amount // 2 if kind == "part" else amount
            day = max(item.due_on + timedelta(days=shift), disbursed)
            payments.append((UUID(int=1000 * (n + 1) + item.number), day, amount))
        book.append((UUID(int=500 + n), disbursed, schedule, payments))
    return book


def paper_reference(book: list[Any], day: date) -> tuple[int, int, int, int]:
    """On `day`, from the book: outstanding principal, the part more than 30 days overdue,
    principal fallen due, and principal repaid up to what fell due (the repayment rate)."""
    outstanding = at_risk = fallen_due = repaid_on_due = 0
    for _, disbursed, schedule, payments in book:
        if disbursed > day:
            continue
        left = sum(amount for _, received, amount in payments if received <= day)
        repaid = left >= sum(i.principal + i.interest for i in schedule)
        principal_paid, oldest = 0, None
        for item in schedule:
            interest = min(left, item.interest)
            principal = min(left - interest, item.principal)
            left -= interest + principal
            principal_paid += principal
            if interest + principal < item.principal + item.interest and item.due_on < day:
                oldest = oldest or item.due_on
        due = sum(i.principal for i in schedule if i.due_on <= day)
        fallen_due += due
        repaid_on_due += min(principal_paid, due)
        if repaid:
            continue
        owes = sum(i.principal for i in schedule) - principal_paid
        outstanding += owes
        at_risk += owes if oldest is not None and (day - oldest).days > 30 else 0
    return outstanding, at_risk, fallen_due, repaid_on_due


def entered(book: list[Any], order: str, rng: Any) -> list[Event]:
    """The finance events of `book` keyed in `order`, as finance's domain makes them."""
    streams: dict[UUID, list[Event]] = {}
    steps: list[tuple[date, int, UUID, Any]] = []
    for loan, disbursed, schedule, payments in book:
        principal = sum(i.principal for i in schedule)
        applied = LoanApplied(
            loan_id=loan, club_id=CLUB, fund_id=FUND, member_id=UUID(int=100 + loan.int),
            principal=principal, term_months=len(schedule), purpose="livestock",
            applied_on=disbursed,
        )  # fmt: skip
        streams[loan] = [applied, approved(loan).model_copy(update={"principal": principal}),
                         issued(loan).model_copy(update={"disbursed_on": disbursed,
                                                         "schedule": schedule,
                                                         "principal": principal})]  # fmt: skip
        steps += [(p[1], 1, loan, p) for p in payments]
        steps += [(i.due_on + timedelta(days=1), 0, loan, i.due_on + timedelta(days=1))
                  for i in schedule]  # fmt: skip
    if order == "live":
        steps.sort(key=lambda s: (s[0], s[1]))
    elif order == "after the timers":
        steps.sort(key=lambda s: (s[1], s[0]))
    else:
        rng.shuffle(steps)
    report_day = date(2027, 6, 30)
    for _, kind, loan, what in steps:
        state = LOAN_AGG.initial
        for event in streams[loan]:
            state = LOAN_AGG.evolve(state, event)
        if kind == 0:
            streams[loan] += servicing.assess_arrears(state, loan, what)
        else:
            receipt, received_on, amount = what
            cmd = PostRepayment(
                loan_id=loan, repayment_id=receipt, received_on=received_on, amount=amount
            )
            today = received_on if order == "live" else report_day
            streams[loan] += with_fund_postings(servicing.repay(state, cmd, today))
    return [e for events in streams.values() for e in events]


def with_fund_postings(events: Sequence[Event]) -> list[Event]:
    """A repayment's loan events and, as the handler appends them, the funds' postings."""
    postings: list[Event] = []
    for event in events:
        if isinstance(event, RepaymentReceived):
            postings += [p for p in servicing.repayment_postings(event) if p is not None]
        elif isinstance(event, RepaymentReallocated):
            postings += servicing.reallocation_postings(event)
    return [*events, *postings]


def interest_reference(book: list[Any]) -> dict[date, int]:
    """Interest to the activity fund per month (own income, N15): each payment covers the
    oldest interest first, in the order the cash came in (same day: by receipt number)."""
    out: dict[date, int] = {}
    for _, _, schedule, payments in book:
        unpaid = [[i.interest, i.principal] for i in schedule]
        for _no, received, paid in sorted(payments, key=lambda p: (p[1], str(p[0]))):
            amount = paid
            for row in unpaid:
                take_interest = min(amount, row[0])
                take_principal = min(amount - take_interest, row[1])
                row[0] -= take_interest
                row[1] -= take_principal
                amount -= take_interest + take_principal
                if take_interest:
                    month = received.replace(day=1)
                    out[month] = out.get(month, 0) + take_interest
    return out


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(book=paper_books(), rng=st.randoms(use_true_random=False))
async def test_reporting_loan_figures_equal_the_paper_reference_in_every_entry_order(
    database_dsn: str, book: list[Any], rng: Any
) -> None:
    await migrate(database_dsn, *definition().migrations)
    conn = await asyncpg.connect(database_dsn)
    days = [date(2026, m, 1) - timedelta(days=1) for m in range(2, 13)]
    days += [date(2026, 12, 31), date(2027, 6, 30)]
    try:
        for order in ("live", "after the timers", "random"):
            await conn.execute(f"TRUNCATE {', '.join(finance_projection().tables)}")
            await project(conn, entered(book, order, rng))
            for day in days:
                rows = await conn.fetch(LOANS, day.replace(day=1), day)
                got = (0, 0, 0, 0)
                if rows:
                    row = rows[0]
                    got = (
                        row["outstanding"],
                        row["par30_outstanding"],
                        row["principal_due"],
                        row["principal_repaid_on_due"],
                    )
                assert got == paper_reference(book, day), (order, day)
            interest = await conn.fetch(
                "SELECT month, amount FROM rpt_club_money WHERE kind = 'interest' AND amount <> 0"
            )
            assert {r["month"]: r["amount"] for r in interest} == interest_reference(book), order
    finally:
        await conn.close()
