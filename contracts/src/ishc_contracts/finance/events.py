"""Finance events: club funds, revolving loans, fees and mutual aid (domain A2).

Every amount is integer VND. Interest rates are integer basis points per month
(0.5 %/month = 50) so that no rate is ever a float either.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from ishc_contracts.events import Event, Payload
from ishc_contracts.values import Code, Count, DocumentRef, Note, PositiveVnd, ShortText, Vnd

FundType = Literal["income_generation", "activity", "mutual_aid"]
CapitalSource = Literal[
    "project", "state_budget", "commune_fund", "donation", "member_fee", "other"
]
InterestMethod = Literal["flat", "declining"]
ArrearsBucket = Literal["1-30", "31-60", "61-90", "90+"]
PauseReason = Literal["disaster", "illness", "other"]
WriteOffReason = Literal["death", "disaster", "illness", "uncollectable", "other"]
AidReason = Literal["illness", "death", "disaster", "other"]

TermMonths = Annotated[int, Field(ge=1, le=120)]
RateBp = Annotated[
    int, Field(ge=0, le=1000, description="Interest in basis points per month (50 = 0.5 %)")
]


class _Finance(Event):
    service: ClassVar[str] = "finance"


class FundCapitalised(_Finance):
    """Capital entered a club fund (seed capital, budget, donation, fees)."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    fund_type: FundType
    amount: PositiveVnd
    source: CapitalSource
    source_ref: Code | None = Field(default=None, description="e.g. VIE071, donor code")
    received_on: date
    note: Note | None = None


class LoanApplied(_Finance):
    """A member applied for a loan from the income-generation fund."""

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    fund_id: UUID
    member_id: UUID
    principal: PositiveVnd
    term_months: TermMonths
    purpose: Code = Field(description="From the club's loan product: livestock, crops, ...")
    applied_on: date
    note: Note | None = None


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

    aggregate: ClassVar[str] = "loan"

    loan_id: UUID
    club_id: UUID
    starts_on: date
    ends_on: date
    reason: PauseReason
    note: Note | None = None

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


class LoanCashDisbursed(_Finance):
    """Cash left the income-generation fund for a loan (with LoanIssued, atomically)."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    loan_id: UUID
    member_id: UUID
    amount: PositiveVnd
    disbursed_on: date


class LoanPrincipalReturned(_Finance):
    """Principal (and any penalty) a borrower repaid flowed back into the revolving fund."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    loan_id: UUID
    repayment_id: UUID
    principal: Vnd
    penalty: Vnd = 0
    received_on: date

    @model_validator(mode="after")
    def _returns_something(self) -> LoanPrincipalReturned:
        if self.principal + self.penalty == 0:
            msg = "a return must carry principal or penalty"
            raise ValueError(msg)
        return self


class InterestAllocatedToActivityFund(_Finance):
    """Loan interest goes to the club's activity fund, never to members."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    loan_id: UUID
    repayment_id: UUID
    amount: PositiveVnd
    received_on: date


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


class MembershipFeeReceived(_Finance):
    """A member paid a membership fee into a club fund."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    fee_id: UUID
    member_id: UUID
    amount: PositiveVnd
    received_on: date
    period: ShortText | None = Field(default=None, description="e.g. 2026, 2026-03")


class MutualAidGranted(_Finance):
    """The club granted mutual aid (cash or in kind) to a member in hardship."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    grant_id: UUID
    member_id: UUID
    amount: Vnd
    reason: AidReason
    granted_on: date
    in_kind: ShortText | None = Field(default=None, description="What was given, if in kind")
    meeting_id: UUID | None = None

    @model_validator(mode="after")
    def _gives_something(self) -> MutualAidGranted:
        if self.amount == 0 and self.in_kind is None:
            msg = "a grant gives money or something in kind"
            raise ValueError(msg)
        return self


EVENTS: tuple[type[Event], ...] = (
    FundCapitalised,
    LoanApplied,
    LoanApproved,
    LoanIssued,
    RepaymentReceived,
    LoanBecameOverdue,
    LoanBecameCurrent,
    DelinquencyPaused,
    LoanRepaid,
    DeceasedBorrowerCaseOpened,
    LoanWrittenOff,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    InterestAllocatedToActivityFund,
    LoanProductDefined,
    MembershipFeeReceived,
    MutualAidGranted,
)
