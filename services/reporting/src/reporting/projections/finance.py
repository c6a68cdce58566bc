"""Reporting's view of finance: funds, money per club and month, loans, repayments, arrears,
in-kind support."""

from __future__ import annotations

from datetime import date

from ishc_contracts import EventEnvelope
from ishc_contracts.finance.events import (
    DelinquencyPaused,
    FundCapitalised,
    InKindAssetLent,
    Installment,
    InterestAllocatedToActivityFund,
    LoanApproved,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
    LoanRescheduled,
    LoanWrittenOff,
    MembershipFeeReceived,
    MutualAidGranted,
    RecoveryReceived,
    RepaymentReallocated,
    RepaymentReceived,
    RepaymentSplitCorrected,
)
from ishc_runtime.projections import Projection, Write

TABLES = [
    "rpt_funds",
    "rpt_club_money",
    "rpt_loans",
    "rpt_installments",
    "rpt_repayments",
    "rpt_loan_arrears",
    "rpt_assets",
    "rpt_loan_terms",
    "rpt_loan_pauses",
]

_MONEY = (
    "INSERT INTO rpt_club_money (club_id, month, kind, amount) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (club_id, month, kind) DO UPDATE SET amount = rpt_club_money.amount"
    " + excluded.amount"
)


def month_of(day: date) -> date:
    return day.replace(day=1)


def money(club_id: object, day: date, kind: str, amount: int) -> Write:
    return Write(_MONEY, (club_id, month_of(day), kind, amount))


def finance_projection(source: str = "finance") -> Projection:
    projection = Projection(
        name="reporting_finance", sources=[source], policy="park", tables=TABLES
    )

    @projection.writes(FundCapitalised)
    def capitalised(env: EventEnvelope, e: FundCapitalised) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_funds (fund_id, club_id, fund_type, first_on)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (fund_id) DO NOTHING",
                (e.fund_id, e.club_id, e.fund_type, e.received_on),
            ),
            money(e.club_id, e.received_on, f"capital:{e.source}:{e.fund_type}", e.amount),
        ]

    @projection.writes(MembershipFeeReceived)
    def fee(env: EventEnvelope, e: MembershipFeeReceived) -> list[Write]:
        return [money(e.club_id, e.received_on, "fee", e.amount)]

    @projection.writes(InterestAllocatedToActivityFund)
    def interest(env: EventEnvelope, e: InterestAllocatedToActivityFund) -> list[Write]:
        return [money(e.club_id, e.received_on, "interest", e.amount)]

    @projection.writes(RepaymentSplitCorrected)
    def interest_corrected(env: EventEnvelope, e: RepaymentSplitCorrected) -> list[Write]:
        if e.fund_type != "activity":
            return []  # principal back in the revolving fund is not the club's own income
        return [money(e.club_id, e.received_on, "interest", e.amount)]

    @projection.writes(MutualAidGranted)
    def aid(env: EventEnvelope, e: MutualAidGranted) -> list[Write]:
        return [money(e.club_id, e.granted_on, "aid", e.amount)] if e.amount else []

    @projection.writes(RecoveryReceived)
    def recovery(env: EventEnvelope, e: RecoveryReceived) -> list[Write]:
        return [money(e.club_id, e.received_on, "recovery", e.amount)]

    @projection.writes(LoanIssued)
    def issued(env: EventEnvelope, e: LoanIssued) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_loans (loan_id, club_id, member_id, principal, disbursed_on)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (loan_id) DO NOTHING",
                (e.loan_id, e.club_id, e.member_id, e.principal, e.disbursed_on),
            ),
            *_installments(e.loan_id, e.disbursed_on, e.schedule),
        ]

    projection.row(
        LoanApproved,
        "INSERT INTO rpt_loan_terms (loan_id, arrears_tolerance) VALUES ($1, $2)"
        " ON CONFLICT (loan_id) DO UPDATE"
        " SET arrears_tolerance = excluded.arrears_tolerance",
        lambda e: (e.loan_id, e.arrears_tolerance),
    )

    projection.row(
        DelinquencyPaused,
        "INSERT INTO rpt_loan_pauses (loan_id, starts_on, ends_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (loan_id, starts_on) DO NOTHING",
        lambda e: (e.loan_id, e.starts_on, e.ends_on),
        opens=(),
    )

    @projection.writes(LoanRescheduled)
    def rescheduled(env: EventEnvelope, e: LoanRescheduled) -> list[Write]:
        return [
            # A second rescheduling on the same day replaces the first one's schedule.
            Write(
                "DELETE FROM rpt_installments WHERE loan_id = $1 AND valid_from = $2",
                (e.loan_id, e.rescheduled_on),
            ),
            *_installments(e.loan_id, e.rescheduled_on, e.schedule),
        ]

    projection.row(
        RepaymentReceived,
        "INSERT INTO rpt_repayments (repayment_id, loan_id, club_id, received_on,"
        " principal, interest) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (repayment_id) DO NOTHING",
        lambda e: (e.repayment_id, e.loan_id, e.club_id, e.received_on, e.principal, e.interest),
    )

    projection.row(
        RepaymentReallocated,
        "UPDATE rpt_repayments SET principal = $2, interest = $3 WHERE repayment_id = $1",
        lambda e: (e.repayment_id, e.principal, e.interest),
    )

    projection.row(
        LoanRepaid,
        "UPDATE rpt_loans SET repaid_on = $2 WHERE loan_id = $1",
        lambda e: (e.loan_id, e.repaid_on),
    )

    projection.row(
        LoanWrittenOff,
        "UPDATE rpt_loans SET written_off_on = $2, written_off = $3 WHERE loan_id = $1",
        lambda e: (e.loan_id, e.written_off_on, e.principal),
    )

    @projection.writes(LoanBecameOverdue)
    def overdue(env: EventEnvelope, e: LoanBecameOverdue) -> list[Write]:
        return [_arrears(e.loan_id, e.as_of, "overdue", e.days_overdue, env.version)]

    @projection.writes(LoanBecameCurrent)
    def current(env: EventEnvelope, e: LoanBecameCurrent) -> list[Write]:
        return [_arrears(e.loan_id, e.as_of, "current", 0, env.version)]

    projection.row(
        InKindAssetLent,
        "INSERT INTO rpt_assets (asset_id, club_id, member_id, value, lent_on)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (asset_id) DO NOTHING",
        lambda e: (e.asset_id, e.club_id, e.member_id, e.value, e.lent_on),
    )

    return projection


def _installments(
    loan_id: object, valid_from: date, schedule: tuple[Installment, ...]
) -> list[Write]:
    """A schedule in force from `valid_from` (the disbursement, or a rescheduling): kept
    beside the earlier ones, so a date before a rescheduling reads the schedule of its day."""
    return [
        Write(
            "INSERT INTO rpt_installments (loan_id, valid_from, number, due_on, principal,"
            " interest) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (loan_id, valid_from, number) DO NOTHING",
            (loan_id, valid_from, item.number, item.due_on, item.principal, item.interest),
        )
        for item in schedule
    ]


def _arrears(loan_id: object, as_of: date, kind: str, days: int, version: int) -> Write:
    return Write(
        "INSERT INTO rpt_loan_arrears (loan_id, as_of, kind, days_overdue, version)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (loan_id, version) DO NOTHING",
        (loan_id, as_of, kind, days, version),
    )
