"""Finance events on fund streams (`fund-<fund_id>`): every one is a posting, money in or
out of one club fund; and in-kind revolving support (`asset-<asset_id>`)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from ishc_contracts.finance.base import AidReason, CapitalSource, FundType, PassOn, _Finance
from ishc_contracts.values import Code, Note, PositiveVnd, ShortText, Vnd


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


class RepaymentSplitCorrected(_Finance):
    """A repayment's split between principal (revolving fund) and interest (activity fund)
    was corrected (see RepaymentReallocated): the signed change to this fund's money in on
    the day the repayment was received. It changes the day's inflow, never the outflow, so
    the monthly statement reads as if the repayments had been keyed in the order received."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    fund_type: Literal["income_generation", "activity"]
    loan_id: UUID
    repayment_id: UUID
    amount: int = Field(strict=True, description="Signed VND change to the day's inflow")
    received_on: date

    @model_validator(mode="after")
    def _changes_something(self) -> RepaymentSplitCorrected:
        if self.amount == 0:
            msg = "a correction must change something"
            raise ValueError(msg)
        return self


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


class MonthClosed(_Finance):
    """The books of a fund were closed through `month`: the balance carried forward.
    Postings dated in a closed month are refused afterwards."""

    aggregate: ClassVar[str] = "fund"

    fund_id: UUID
    club_id: UUID
    month: date = Field(description="First day of the last month closed")
    opening: int = Field(strict=True, description="VND carried from the previous close")
    inflow: Vnd
    outflow: Vnd
    closing: int = Field(strict=True, description="VND carried into the next month")


class InKindAssetLent(_Finance):
    """Revolving material support: an asset (e.g. a breeding cow) lent to a member, who owes
    its offspring or its value to the next member by `pass_on_due`."""

    aggregate: ClassVar[str] = "asset"

    asset_id: UUID
    club_id: UUID
    member_id: UUID
    asset_type: Code = Field(description="cow, goat, pig, seed, ...")
    description: ShortText | None = None
    value: Vnd
    lent_on: date
    pass_on: PassOn
    pass_on_due: date
    previous_asset_id: UUID | None = Field(default=None, description="The asset passed on")


class InKindAssetPassedOn(_Finance):
    """The holder passed the offspring or value on: a new asset lent to the next member."""

    aggregate: ClassVar[str] = "asset"

    asset_id: UUID
    club_id: UUID
    member_id: UUID
    to_member_id: UUID
    next_asset_id: UUID
    passed_on: date
    note: Note | None = None


class InKindPassOnOverdue(_Finance):
    """Scheduler fact: the holder had not passed the asset on by its due date."""

    aggregate: ClassVar[str] = "asset"

    asset_id: UUID
    club_id: UUID
    member_id: UUID
    pass_on_due: date
    as_of: date


EVENTS = (
    FundCapitalised,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    InterestAllocatedToActivityFund,
    RepaymentSplitCorrected,
    MembershipFeeReceived,
    MutualAidGranted,
    MonthClosed,
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
)
