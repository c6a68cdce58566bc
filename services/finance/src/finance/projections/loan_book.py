"""The loan book: every loan with what was paid, its schedule, its dated repayments and
pauses (arrears on any date are computed from these when read), and the scheduler's last
arrears alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.finance.events import (
    DeceasedBorrowerCaseOpened,
    DelinquencyPaused,
    Installment,
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
from ishc_runtime.projections import Projection, Write, entity_id, update_entity

TABLES = [
    "finance_loans",
    "finance_installments",
    "finance_repayments",
    "finance_loan_pauses",
]


# A schedule in force from $2 (the disbursement, or a rescheduling), kept beside the earlier
# ones: a date before a rescheduling reads the schedule of its day.
_INSTALLMENTS = (
    "INSERT INTO finance_installments (loan_id, valid_from, number, due_on, principal, interest)"
    " SELECT $1, $2, n, d, p, i FROM unnest($3::int[], $4::date[], $5::bigint[], $6::bigint[])"
    " AS u(n, d, p, i) ON CONFLICT (loan_id, valid_from, number) DO NOTHING"
)
# The loan's totals and version, and the repayment's row, in one statement: a run of
# repayments is then a run of the same SQL (one `executemany`), not two alternating ones.
_REPAYMENT = (
    "WITH loan AS (UPDATE finance_loans SET principal_paid = principal_paid + $3,"
    " interest_paid = interest_paid + $4, version = $2 WHERE loan_id = $1)"
    " INSERT INTO finance_repayments (repayment_id, loan_id, club_id, received_on, amount)"
    " VALUES ($5, $6, $7, $8, $9) ON CONFLICT (repayment_id) DO NOTHING"
)


def _touch(env: EventEnvelope, sets: str, *args: object) -> Write:
    """Update the loan's row and stamp the stream version it reflects ($1 loan, $2 version,
    the event's values from $3)."""
    return update_entity(env, "finance_loans", "loan_id", sets, *args)


def _schedule(loan_id: UUID, valid_from: date, schedule: Sequence[Installment]) -> Write:
    """Every installment of a schedule in force from `valid_from`, in one statement."""
    columns = (
        [i.number for i in schedule],
        [i.due_on for i in schedule],
        [i.principal for i in schedule],
        [i.interest for i in schedule],
    )
    return Write(_INSTALLMENTS, (loan_id, valid_from, *columns))


def loan_book_projection() -> Projection:
    projection = Projection(
        name="finance_loan_book", sources=["finance"], policy="stop", tables=TABLES
    )
    writes = projection.writes

    @writes(LoanApplied, opens=())
    def applied(env: EventEnvelope, e: LoanApplied) -> list[Write]:
        sql = (
            "INSERT INTO finance_loans (loan_id, club_id, member_id, status, principal, version)"
            " VALUES ($1, $2, $3, 'applied', $4, $5)"
        )
        return [Write(sql, (e.loan_id, e.club_id, e.member_id, e.principal, env.version))]

    @writes(LoanApplicationRejected)
    def rejected(env: EventEnvelope, e: LoanApplicationRejected) -> list[Write]:
        return [_touch(env, "status = 'rejected', closed_on = $3", e.rejected_on)]

    @writes(LoanApproved)
    def approved(env: EventEnvelope, e: LoanApproved) -> list[Write]:
        sets = "status = 'approved', principal = $3, arrears_tolerance = $4"
        return [_touch(env, sets, e.principal, e.arrears_tolerance)]

    @writes(LoanIssued)
    def issued(env: EventEnvelope, e: LoanIssued) -> list[Write]:
        return [
            _touch(env, "status = 'active', disbursed_on = $3", e.disbursed_on),
            _schedule(e.loan_id, e.disbursed_on, e.schedule),
        ]

    @writes(RepaymentReceived)
    def repaid_part(env: EventEnvelope, e: RepaymentReceived) -> list[Write]:
        args = (
            entity_id(env), env.version, e.principal, e.interest,
            e.repayment_id, e.loan_id, e.club_id, e.received_on, e.principal + e.interest,
        )  # fmt: skip
        return [Write(_REPAYMENT, args)]

    @writes(RepaymentReallocated)
    def resplit(env: EventEnvelope, e: RepaymentReallocated) -> list[Write]:
        sets = "principal_paid = principal_paid + $3, interest_paid = interest_paid - $3"
        return [_touch(env, sets, e.principal_change)]

    @writes(DelinquencyPaused, opens=())
    def paused(env: EventEnvelope, e: DelinquencyPaused) -> list[Write]:
        sql = (
            "INSERT INTO finance_loan_pauses (loan_id, club_id, starts_on, ends_on)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (loan_id, starts_on) DO NOTHING"
        )
        return [
            _touch(env, "case_open = case_open"),
            Write(sql, (e.loan_id, e.club_id, e.starts_on, e.ends_on)),
        ]

    @writes(LoanBecameOverdue)
    def overdue(env: EventEnvelope, e: LoanBecameOverdue) -> list[Write]:
        return [_touch(env, "days_overdue = $3, bucket = $4", e.days_overdue, e.bucket)]

    @writes(LoanBecameCurrent)
    def current(env: EventEnvelope, e: LoanBecameCurrent) -> list[Write]:
        return [_touch(env, "days_overdue = 0, bucket = NULL")]

    @writes(LoanRepaid)
    def repaid(env: EventEnvelope, e: LoanRepaid) -> list[Write]:
        sets = "status = 'repaid', closed_on = $3, days_overdue = 0, bucket = NULL"
        return [_touch(env, sets, e.repaid_on)]

    @writes(LoanWrittenOff)
    def written_off(env: EventEnvelope, e: LoanWrittenOff) -> list[Write]:
        sets = (
            "status = 'written_off', closed_on = $3, case_open = false, written_off = $4,"
            " days_overdue = 0, bucket = NULL"
        )
        return [_touch(env, sets, e.written_off_on, e.principal + e.interest)]

    @writes(LoanRescheduled)
    def rescheduled(env: EventEnvelope, e: LoanRescheduled) -> list[Write]:
        return [
            _touch(env, "days_overdue = 0, bucket = NULL"),
            # A second rescheduling on the same day replaces the first one's schedule.
            Write(
                "DELETE FROM finance_installments WHERE loan_id = $1 AND valid_from = $2",
                (e.loan_id, e.rescheduled_on),
            ),
            _schedule(e.loan_id, e.rescheduled_on, e.schedule),
        ]

    @writes(RecoveryReceived)
    def recovered(env: EventEnvelope, e: RecoveryReceived) -> list[Write]:
        return [_touch(env, "recovered = recovered + $3", e.amount)]

    @writes(DeceasedBorrowerCaseOpened)
    def case(env: EventEnvelope, e: DeceasedBorrowerCaseOpened) -> list[Write]:
        return [_touch(env, "case_open = true")]

    return projection
