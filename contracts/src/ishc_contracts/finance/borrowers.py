"""A member's loans as one stream (`borrower-<member_id>`): the loans they hold open, so that
"one active loan per member" holds even for applications submitted at the same moment."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from ishc_contracts.finance.base import _Finance

LoanOutcome = Literal["repaid", "written_off", "rejected"]


class BorrowerLoanOpened(_Finance):
    """The member applied for a loan: it counts against their limit until it closes."""

    aggregate: ClassVar[str] = "borrower"

    member_id: UUID
    club_id: UUID
    loan_id: UUID
    opened_on: date


class BorrowerLoanClosed(_Finance):
    """The loan no longer counts against the member's limit."""

    aggregate: ClassVar[str] = "borrower"

    member_id: UUID
    club_id: UUID
    loan_id: UUID
    closed_on: date
    outcome: LoanOutcome


EVENTS = (BorrowerLoanOpened, BorrowerLoanClosed)
