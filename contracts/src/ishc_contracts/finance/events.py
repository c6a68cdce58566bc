"""Finance events: club funds, revolving loans, fees, mutual aid, in-kind support (domain A2).

Loan and product events live here; fund postings and in-kind assets in `funds.py`, re-exported
so that every finance event can be imported from this module. Money is integer VND.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from ishc_contracts.events import Event, Payload, Sensitive
from ishc_contracts.finance import borrowers, funds
from ishc_contracts.finance.base import (
    AidReason,
    ArrearsBucket,
    CapitalSource,
    FundType,
    InterestMethod,
    PassOn,
    PauseReason,
    RateBp,
    TermMonths,
    WriteOffReason,
    _Finance,
)
from ishc_contracts.finance.borrowers import BorrowerLoanClosed, BorrowerLoanOpened, LoanOutcome
from ishc_contracts.finance.funds import (
    FundCapitalised,
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MonthClosed,
    MutualAidGranted,
    RepaymentSplitCorrected,
)
from ishc_contracts.values import Code, Count, DocumentRef, Note, PositiveVnd, Vnd

__all__ = [  # re-exported: every finance event and type can be imported from here
    "AidReason",
    "ArrearsBucket",
    "BorrowerLoanClosed",
    "BorrowerLoanOpened",
    "CapitalSource",
    "FundCapitalised",
    "FundType",
    "InKindAssetLent",
    "InKindAssetPassedOn",
    "InKindPassOnOverdue",
    "InterestAllocatedToActivityFund",
    "InterestMethod",
    "LoanCashDisbursed",
    "LoanOutcome",
    "LoanPrincipalReturned",
    "MembershipFeeReceived",
    "MonthClosed",
    "MutualAidGranted",
    "PassOn",
    "PauseReason",
    "RateBp",
    "RepaymentSplitCorrected",
    "TermMonths",
    "WriteOffReason",
]


class LoanApplied(_Finance):
    """A member applied for a loan from the income-generation fund."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    member_id: UUID
    principal: PositiveVnd
    term_months: TermMonths
    purpose: Code = Field(description="From the club's loan product: livestock, crops, ...")
    applied_on: date
    note: Note | None = Sensitive("notes", default=None)


class LoanApproved(_Finance):
    """The loan was approved by a recorded meeting decision, with its terms."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    principal: PositiveVnd
    term_months: TermMonths
    interest_method: InterestMethod
    monthly_interest_bp: RateBp
    grace_months: Count = 0
    approved_on: date
    meeting_id: UUID
    decision_id: UUID | None = Field(default=None, description="Finance always records it")
    product_version: int = Field(default=0, ge=0, description="0: the built-in default product")
    arrears_tolerance: Vnd = Field(default=0, description="Unpaid VND below which no arrears")


class Installment(Payload):
    number: int = Field(ge=1)
    due_on: date
    principal: Vnd
    interest: Vnd


class LoanIssued(_Finance):
    """The principal was disbursed to the borrower; the schedule fixes what is due when."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    member_id: UUID
    principal: PositiveVnd
    disbursed_on: date
    schedule: tuple[Installment, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _schedule_repays_principal(self) -> LoanIssued:
        # A schedule that does not sum to the principal would leave the ledger unbalanced.
        scheduled = sum(item.principal for item in self.schedule)
        if scheduled != self.principal:
            msg = f"schedule principal {scheduled} != disbursed principal {self.principal}"
            raise ValueError(msg)
        return self


class RepaymentReceived(_Finance):
    """A borrower paid; finance split the cash into penalty, interest and principal."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    repayment_id: UUID
    received_on: date
    principal: Vnd
    interest: Vnd
    penalty: Vnd = 0
    receipt: DocumentRef | None = None

    @model_validator(mode="after")
    def _pays_something(self) -> RepaymentReceived:
        if self.principal + self.interest + self.penalty == 0:
            msg = "a repayment must pay something"
            raise ValueError(msg)
        return self


class RepaymentReallocated(_Finance):
    """A repayment's split changed because a repayment received *before* it was keyed in
    after it: cash covers the schedule in the order it was received, so the earlier receipt
    takes the oldest interest and principal and this one is split again. `principal` and
    `interest` are its new split; `principal_change` what moved into principal (negative:
    out of it, into interest). The amount received never changes."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    repayment_id: UUID
    received_on: date
    principal: Vnd
    interest: Vnd
    principal_change: int = Field(strict=True, description="VND moved into principal")

    @model_validator(mode="after")
    def _moves_something(self) -> RepaymentReallocated:
        if self.principal_change == 0:
            msg = "a reallocation must move something"
            raise ValueError(msg)
        return self


class LoanBecameOverdue(_Finance):
    """Scheduler fact: the oldest unpaid installment is `days_overdue` late on `as_of`
    (days inside a DelinquencyPaused window are not counted). Emitted when the loan enters a
    bucket, never daily."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    member_id: UUID
    as_of: date
    installment: int | None = Field(default=None, ge=1, description="Oldest unpaid installment")
    days_overdue: int = Field(ge=1)
    bucket: ArrearsBucket
    overdue_principal: Vnd
    overdue_interest: Vnd
    outstanding_principal: Vnd


class LoanBecameCurrent(_Finance):
    """A repayment cleared every installment due so far: the loan is out of arrears."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    as_of: date


class DelinquencyPaused(_Finance):
    """Arrears stop counting from `starts_on` to `ends_on` inclusive (disaster, illness).
    Pauses of one loan never overlap."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    starts_on: date
    ends_on: date
    reason: PauseReason
    note: Note | None = Sensitive("notes", default=None)

    @model_validator(mode="after")
    def _ends_after_start(self) -> DelinquencyPaused:
        if self.ends_on < self.starts_on:
            msg = "a pause ends on or after its start"
            raise ValueError(msg)
        return self


class LoanRepaid(_Finance):
    """Everything scheduled was paid: the loan is closed."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    member_id: UUID
    repaid_on: date
    principal: PositiveVnd
    interest: Vnd


class DeceasedBorrowerCaseOpened(_Finance):
    """The borrower died with money outstanding: the board decides write-off or a mutual-aid
    settlement (a case for the next meeting)."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    member_id: UUID
    died_on: date
    outstanding_principal: Vnd
    outstanding_interest: Vnd


class LoanWrittenOff(_Finance):
    """The remaining balance was written off by a meeting decision."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    written_off_on: date
    principal: Vnd
    interest: Vnd
    reason: WriteOffReason
    meeting_id: UUID
    decision_id: UUID | None = None


class LoanProductDefined(_Finance):
    """A (new version of a) club's loan product: its terms are data, effective from a date."""

    aggregate: ClassVar[str] = "product"

    club_id: UUID
    version: int = Field(ge=1)
    effective_from: date
    purposes: tuple[Code, ...] = Field(min_length=1)
    min_principal: PositiveVnd
    max_principal: PositiveVnd
    term_months: TermMonths
    interest_method: InterestMethod
    monthly_interest_bp: RateBp
    grace_months: Count = 0
    arrears_tolerance: Vnd = 0
    max_active_loans_per_member: int = Field(default=1, ge=1, le=10)


class LoanRescheduled(_Finance):
    """The unpaid part of a loan got a new schedule; paid installments are kept as paid.
    `schedule` is the whole new schedule (kept installments first)."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    rescheduled_on: date
    reason: Note
    unpaid_principal: PositiveVnd
    schedule: tuple[Installment, ...] = Field(min_length=1)
    decision_id: UUID | None = None


class RecoveryReceived(_Finance):
    """Money recovered on a written-off loan; it returns to the revolving fund."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    recovery_id: UUID
    amount: PositiveVnd
    received_on: date


class LoanApplicationRejected(_Finance):
    """The meeting turned the application down (or the member withdrew it)."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    member_id: UUID
    rejected_on: date
    reason: Note


EVENTS: tuple[type[Event], ...] = (
    LoanApplied,
    LoanApproved,
    LoanIssued,
    RepaymentReceived,
    RepaymentReallocated,
    LoanBecameOverdue,
    LoanBecameCurrent,
    DelinquencyPaused,
    LoanRepaid,
    DeceasedBorrowerCaseOpened,
    LoanWrittenOff,
    LoanRescheduled,
    RecoveryReceived,
    LoanProductDefined,
    LoanApplicationRejected,
    *funds.EVENTS,
    *borrowers.EVENTS,
)
