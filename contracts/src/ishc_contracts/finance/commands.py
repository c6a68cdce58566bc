"""Finance commands: requests the gateway sends (request/reply), timers and reactions fire."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from ishc_contracts.events import Command
from ishc_contracts.finance.base import (
    AidReason,
    CapitalSource,
    FundType,
    InterestMethod,
    PassOn,
    PauseReason,
    RateBp,
    TermMonths,
    WriteOffReason,
)
from ishc_contracts.values import Code, Count, DocumentRef, Note, PositiveVnd, ShortText, Vnd


class _Finance(Command):
    service: ClassVar[str] = "finance"


class CapitaliseFund(_Finance):
    """Capital enters the club's fund of `fund_type` (one fund of each type per club)."""

    club_id: UUID
    fund_type: FundType
    amount: PositiveVnd
    source: CapitalSource
    source_ref: Code | None = None
    received_on: date
    note: Note | None = None


class RecordMembershipFee(_Finance):
    club_id: UUID
    fee_id: UUID
    member_id: UUID
    amount: PositiveVnd
    received_on: date
    fund_type: FundType = "activity"
    period: ShortText | None = None


class DefineLoanProduct(_Finance):
    """A new version of the club's loan product; until one exists the built-in default holds."""

    club_id: UUID
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


class SubmitLoanApplication(_Finance):
    loan_id: UUID = Field(description="UUIDv7 made by the client: a retry names the same loan")
    club_id: UUID
    member_id: UUID
    principal: PositiveVnd
    term_months: TermMonths | None = Field(default=None, description="Default: the product's")
    purpose: Code
    applied_on: date
    note: Note | None = None


class ApproveLoan(_Finance):
    """Approval cites the meeting decision (recorded in membership) that granted the loan;
    the interest method, rate and grace come from the club's loan product."""

    loan_id: UUID
    decision_id: UUID
    approved_on: date
    principal: PositiveVnd | None = Field(default=None, description="Default: as applied")


class RejectLoanApplication(_Finance):
    loan_id: UUID
    rejected_on: date
    reason: Note


class DisburseLoan(_Finance):
    """The schedule is computed by finance from the approved terms, not sent by the client."""

    loan_id: UUID
    disbursed_on: date


class PostRepayment(_Finance):
    loan_id: UUID
    repayment_id: UUID
    received_on: date
    amount: PositiveVnd = Field(
        description="Cash received; finance splits it into penalty, interest, principal"
    )
    receipt: DocumentRef | None = None


class AssessArrears(_Finance):
    """Fired by the scheduler the day after each due date (and at bucket boundaries)."""

    loan_id: UUID
    as_of: date


class PauseDelinquency(_Finance):
    loan_id: UUID
    starts_on: date
    ends_on: date
    reason: PauseReason
    note: Note | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> PauseDelinquency:
        if self.ends_on < self.starts_on:
            msg = "ends_on is before starts_on"
            raise ValueError(msg)
        return self


class WriteOffLoan(_Finance):
    loan_id: UUID
    decision_id: UUID
    written_off_on: date
    reason: WriteOffReason


class OpenDeceasedBorrowerCase(_Finance):
    """Issued by the reaction to MemberLeft(died)."""

    loan_id: UUID
    member_id: UUID
    died_on: date


class GrantMutualAid(_Finance):
    club_id: UUID
    grant_id: UUID
    member_id: UUID
    amount: Vnd
    reason: AidReason
    granted_on: date
    decision_id: UUID
    in_kind: ShortText | None = None


class RescheduleLoan(_Finance):
    """New terms for the unpaid principal only; what was paid stays as it was."""

    loan_id: UUID
    rescheduled_on: date
    term_months: TermMonths = Field(description="Months over which the unpaid part is repaid")
    reason: Note
    decision_id: UUID | None = None


class PostRecovery(_Finance):
    loan_id: UUID
    recovery_id: UUID
    amount: PositiveVnd
    received_on: date


class LendInKindAsset(_Finance):
    asset_id: UUID
    club_id: UUID
    member_id: UUID
    asset_type: Code
    description: ShortText | None = None
    value: Vnd = 0
    lent_on: date
    pass_on: PassOn = "offspring"  # noqa: S105 - what is passed on, not a password
    pass_on_due: date


class PassOnAsset(_Finance):
    """The holder hands the offspring (or value) to the next member, who now owes the same."""

    asset_id: UUID
    to_member_id: UUID
    next_asset_id: UUID
    passed_on: date
    next_pass_on_due: date
    value: Vnd = 0
    note: Note | None = None


class CheckPassOn(_Finance):
    """Fired by the scheduler the day after an in-kind asset's pass-on due date."""

    asset_id: UUID
    as_of: date


class CloseBooks(_Finance):
    """Close every fund of the club through `month` (any day of it)."""

    club_id: UUID
    month: date


COMMANDS: tuple[type[Command], ...] = (
    CapitaliseFund,
    RecordMembershipFee,
    DefineLoanProduct,
    SubmitLoanApplication,
    ApproveLoan,
    RejectLoanApplication,
    DisburseLoan,
    PostRepayment,
    AssessArrears,
    PauseDelinquency,
    WriteOffLoan,
    OpenDeceasedBorrowerCase,
    GrantMutualAid,
    RescheduleLoan,
    PostRecovery,
    LendInKindAsset,
    PassOnAsset,
    CheckPassOn,
    CloseBooks,
)
