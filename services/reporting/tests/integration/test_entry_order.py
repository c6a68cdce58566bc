"""Loan figures on a reporting date depend on business dates only (issue #19): one club's
paper book projected in the order it happened, typed in after every arrears timer fired, or
with its repayments in reverse gives the same outstanding and PAR30 on every date, and they
are the ones worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
import pytest

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.finance.events import (
    Installment,
    LoanApproved,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
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
