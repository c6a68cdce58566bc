"""The loan book: every loan with what was paid, its schedule, its dated repayments and
pauses (arrears on any date are computed from these when read), and the scheduler's last
arrears alert."""

from __future__ import annotations

from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.finance.events import (
    DeceasedBorrowerCaseOpened,
    DelinquencyPaused,
    LoanApplicationRejected,
    LoanApplied,
    LoanApproved,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
    LoanRescheduled,
    LoanWrittenOff,
    RecoveryReceived,
    RepaymentReallocated,
    RepaymentReceived,
)
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection

TABLES = [
    "finance_loans",
    "finance_installments",
    "finance_repayments",
    "finance_loan_pauses",
]


def loan_book_projection() -> Projection:
    projection = Projection(
        name="finance_loan_book", sources=["finance"], policy="stop", tables=TABLES
    )

    async def touch(conn: Connection, env: EventEnvelope, sets: str, *args: object) -> None:
        await conn.execute(
            f"UPDATE finance_loans SET {sets}, version = $2 WHERE loan_id = $1",
            *(UUID(env.stream_id.removeprefix("loan-")), env.version, *args),
        )

    @projection.on(LoanApplied)
    async def applied(conn: Connection, env: EventEnvelope, e: LoanApplied) -> None:
        await conn.execute(
            "INSERT INTO finance_loans (loan_id, club_id, member_id, status, principal, version)"
            " VALUES ($1, $2, $3, 'applied', $4, $5)",
            e.loan_id,
            e.club_id,
            e.member_id,
            e.principal,
            env.version,
        )

    @projection.on(LoanApplicationRejected)
    async def rejected(conn: Connection, env: EventEnvelope, e: LoanApplicationRejected) -> None:
        await touch(conn, env, "status = 'rejected', closed_on = $3", e.rejected_on)

    @projection.on(LoanApproved)
    async def approved(conn: Connection, env: EventEnvelope, e: LoanApproved) -> None:
        await touch(
            conn,
            env,
            "status = 'approved', principal = $3, arrears_tolerance = $4",
            e.principal,
            e.arrears_tolerance,
        )

    @projection.on(LoanIssued)
    async def issued(conn: Connection, env: EventEnvelope, e: LoanIssued) -> None:
        await touch(conn, env, "status = 'active', disbursed_on = $3", e.disbursed_on)
        await conn.executemany(
            "INSERT INTO finance_installments (loan_id, number, due_on, principal, interest)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(e.loan_id, i.number, i.due_on, i.principal, i.interest) for i in e.schedule],
        )

    @projection.on(RepaymentReceived)
    async def repaid_part(conn: Connection, env: EventEnvelope, e: RepaymentReceived) -> None:
        await touch(
            conn,
            env,
            "principal_paid = principal_paid + $3, interest_paid = interest_paid + $4",
            e.principal,
            e.interest,
        )
        await conn.execute(
            "INSERT INTO finance_repayments (repayment_id, loan_id, club_id, received_on, amount)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repayment_id) DO NOTHING",
            e.repayment_id,
            e.loan_id,
            e.club_id,
            e.received_on,
            e.principal + e.interest,
        )

    @projection.on(RepaymentReallocated)
    async def resplit(conn: Connection, env: EventEnvelope, e: RepaymentReallocated) -> None:
        await touch(
            conn,
            env,
            "principal_paid = principal_paid + $3, interest_paid = interest_paid - $3",
            e.principal_change,
        )

    @projection.on(DelinquencyPaused)
    async def paused(conn: Connection, env: EventEnvelope, e: DelinquencyPaused) -> None:
        await touch(conn, env, "case_open = case_open")
        await conn.execute(
            "INSERT INTO finance_loan_pauses (loan_id, club_id, starts_on, ends_on)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (loan_id, starts_on) DO NOTHING",
            e.loan_id,
            e.club_id,
            e.starts_on,
            e.ends_on,
        )

    @projection.on(LoanBecameOverdue)
    async def overdue(conn: Connection, env: EventEnvelope, e: LoanBecameOverdue) -> None:
        await touch(conn, env, "days_overdue = $3, bucket = $4", e.days_overdue, e.bucket)

    @projection.on(LoanBecameCurrent)
    async def current(conn: Connection, env: EventEnvelope, e: LoanBecameCurrent) -> None:
        await touch(conn, env, "days_overdue = 0, bucket = NULL")

    @projection.on(LoanRepaid)
    async def repaid(conn: Connection, env: EventEnvelope, e: LoanRepaid) -> None:
        await touch(
            conn,
            env,
            "status = 'repaid', closed_on = $3, days_overdue = 0, bucket = NULL",
            e.repaid_on,
        )

    @projection.on(LoanWrittenOff)
    async def written_off(conn: Connection, env: EventEnvelope, e: LoanWrittenOff) -> None:
        await touch(
            conn,
            env,
            "status = 'written_off', closed_on = $3, case_open = false, written_off = $4,"
            " days_overdue = 0, bucket = NULL",
            e.written_off_on,
            e.principal + e.interest,
        )

    @projection.on(LoanRescheduled)
    async def rescheduled(conn: Connection, env: EventEnvelope, e: LoanRescheduled) -> None:
        await touch(conn, env, "days_overdue = 0, bucket = NULL")
        await conn.execute("DELETE FROM finance_installments WHERE loan_id = $1", e.loan_id)
        await conn.executemany(
            "INSERT INTO finance_installments (loan_id, number, due_on, principal, interest)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(e.loan_id, i.number, i.due_on, i.principal, i.interest) for i in e.schedule],
        )

    @projection.on(RecoveryReceived)
    async def recovered(conn: Connection, env: EventEnvelope, e: RecoveryReceived) -> None:
        await touch(conn, env, "recovered = recovered + $3", e.amount)

    @projection.on(DeceasedBorrowerCaseOpened)
    async def case(conn: Connection, env: EventEnvelope, e: DeceasedBorrowerCaseOpened) -> None:
        await touch(conn, env, "case_open = true")

    return projection
