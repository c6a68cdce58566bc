"""Finance commands: requests the gateway sends (request/reply), timers and reactions fire."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from ishc_contracts.bounds import (
    MAX_ITEMS,
    MAX_MONTHS,
    Amount,
    Day,
    PlannedDay,
    PositiveAmount,
)
from ishc_contracts.events import Command, Sensitive
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
from ishc_contracts.reference import ReferenceFields
from ishc_contracts.values import Code, DocumentRef, Note, ShortText


class _Finance(Command):
    service: ClassVar[str] = "finance"


class CapitaliseFund(_Finance):
    """Capital enters the club's fund of `fund_type` (one fund of each type per club)."""

    club_id: UUID
    fund_type: FundType
    amount: PositiveAmount
    source: CapitalSource
    source_ref: Code | None = None
    received_on: Day
    note: Note | None = None


class RecordMembershipFee(_Finance):
    club_id: UUID
    fee_id: UUID
    member_id: UUID
    amount: PositiveAmount
    received_on: Day
    fund_type: FundType = "activity"
    period: ShortText | None = None


class DefineLoanProduct(_Finance):
    """A new version of the club's loan product; until one exists the built-in default holds."""

    reference_fields: ClassVar[ReferenceFields] = {"purposes": ("loan_purposes", None)}

    club_id: UUID
    effective_from: PlannedDay
    purposes: tuple[Code, ...] = Field(min_length=1, max_length=MAX_ITEMS)
    min_principal: PositiveAmount
    max_principal: PositiveAmount
    term_months: TermMonths
    interest_method: InterestMethod
    monthly_interest_bp: RateBp
    grace_months: int = Field(default=0, ge=0, le=MAX_MONTHS - 1, strict=True)
    arrears_tolerance: Amount = 0
    max_active_loans_per_member: int = Field(default=1, ge=1, le=10)


class SubmitLoanApplication(_Finance):
    reference_fields: ClassVar[ReferenceFields] = {"purpose": ("loan_purposes", None)}

    loan_id: UUID = Field(description="UUIDv7 made by the client: a retry names the same loan")
    club_id: UUID
    member_id: UUID
    principal: PositiveAmount
    term_months: TermMonths | None = Field(default=None, description="Default: the product's")
    purpose: Code
    applied_on: Day
    note: Note | None = Sensitive("notes", default=None)


class ApproveLoan(_Finance):
    """Approval cites the meeting decision (recorded in membership) that granted the loan;
    the interest method, rate and grace come from the club's loan product."""

    loan_id: UUID
    decision_id: UUID
    approved_on: Day
    principal: PositiveAmount | None = Field(default=None, description="Default: as applied")


class RejectLoanApplication(_Finance):
    loan_id: UUID
    rejected_on: Day
    reason: Note


class DisburseLoan(_Finance):
    """The schedule is computed by finance from the approved terms, not sent by the client."""

    loan_id: UUID
    disbursed_on: Day


class PostRepayment(_Finance):
    loan_id: UUID
    repayment_id: UUID
    received_on: Day
    amount: PositiveAmount = Field(
        description="Cash received; finance splits it into penalty, interest, principal"
    )
    receipt: DocumentRef | None = None


class AssessArrears(_Finance):
    """Fired by the scheduler the day after each due date (and at bucket boundaries)."""

    loan_id: UUID
    as_of: Day


class PauseDelinquency(_Finance):
    loan_id: UUID
    starts_on: PlannedDay = Field(description="A pause may be agreed ahead of time")
    ends_on: PlannedDay
    reason: PauseReason
    note: Note | None = Sensitive("notes", default=None)


class WriteOffLoan(_Finance):
    loan_id: UUID
    decision_id: UUID
    written_off_on: Day
    reason: WriteOffReason


class OpenDeceasedBorrowerCase(_Finance):
    """Issued by the reaction to MemberLeft(died)."""

    loan_id: UUID
    member_id: UUID
    died_on: Day


class GrantMutualAid(_Finance):
    club_id: UUID
    grant_id: UUID
    member_id: UUID
    in_kind: ShortText | None = Field(default=None, description="What was given, if in kind")
    amount: Amount
    reason: AidReason
    granted_on: Day
    decision_id: UUID

    @field_validator("amount")
    @classmethod
    def _gives_something(cls, amount: int, info: ValidationInfo) -> int:
        # A field validator (in_kind is read first), so the refusal names the amount.
        if amount == 0 and info.data.get("in_kind") is None:
            msg = "a grant gives money or something in kind"
            raise ValueError(msg)
        return amount


class RescheduleLoan(_Finance):
    """New terms for the unpaid principal only; what was paid stays as it was."""

    loan_id: UUID
    rescheduled_on: Day
    term_months: TermMonths = Field(description="Months over which the unpaid part is repaid")
    reason: Note
    decision_id: UUID | None = None


class PostRecovery(_Finance):
    loan_id: UUID
    recovery_id: UUID
    amount: PositiveAmount
    received_on: Day


class LendInKindAsset(_Finance):
    asset_id: UUID
    club_id: UUID
    member_id: UUID
    asset_type: Code
    description: ShortText | None = None
    value: Amount = 0
    lent_on: Day
    pass_on: PassOn = "offspring"  # noqa: S105 - what is passed on, not a password
    pass_on_due: PlannedDay


class PassOnAsset(_Finance):
    """The holder hands the offspring (or value) to the next member, who now owes the same."""

    asset_id: UUID
    to_member_id: UUID
    next_asset_id: UUID
    passed_on: Day
    next_pass_on_due: PlannedDay
    value: Amount = 0
    note: Note | None = None


class CheckPassOn(_Finance):
    """Fired by the scheduler the day after an in-kind asset's pass-on due date."""

    asset_id: UUID
    as_of: Day


class CloseBooks(_Finance):
    """Close every fund of the club through `month` (any day of it)."""

    club_id: UUID
    month: Day


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
