"""Finance commands: the first requests the gateway sends (request/reply, domain A2)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import Command
from ishc_contracts.finance.events import (
    CapitalSource,
    FundType,
    InterestMethod,
    RateBp,
    TermMonths,
)
from ishc_contracts.values import Code, Count, DocumentRef, Note, PositiveVnd


class _Finance(Command):
    service: ClassVar[str] = "finance"


class CapitaliseFund(_Finance):
    fund_id: UUID
    club_id: UUID
    fund_type: FundType
    amount: PositiveVnd
    source: CapitalSource
    source_ref: Code | None = None
    received_on: date
    note: Note | None = None


class SubmitLoanApplication(_Finance):
    loan_id: UUID = Field(description="UUIDv7 made by the client: a retry names the same loan")
    club_id: UUID
    fund_id: UUID
    member_id: UUID
    principal: PositiveVnd
    term_months: TermMonths
    purpose: Code
    applied_on: date
    note: Note | None = None


class ApproveLoan(_Finance):
    loan_id: UUID
    principal: PositiveVnd
    term_months: TermMonths
    interest_method: InterestMethod
    monthly_interest_bp: RateBp
    grace_months: Count = 0
    approved_on: date
    meeting_id: UUID
    decision_id: UUID | None = None


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


COMMANDS: tuple[type[Command], ...] = (
    CapitaliseFund,
    SubmitLoanApplication,
    ApproveLoan,
    DisburseLoan,
    PostRepayment,
)
