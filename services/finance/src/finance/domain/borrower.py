"""A member as a borrower (stream `borrower-<member_id>`): the loans they hold open.

Applying appends to the loan and to this stream together, at its expected version, so two
applications of one member racing each other are serialised and the limit holds."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.finance.events import BorrowerLoanClosed, BorrowerLoanOpened, LoanOutcome


class Borrower(BaseModel):
    model_config = ConfigDict(frozen=True)

    open_loans: tuple[UUID, ...] = ()


def evolve(state: Borrower, event: Event) -> Borrower:
    match event:
        case BorrowerLoanOpened(loan_id=loan_id):
            return state.model_copy(update={"open_loans": (*state.open_loans, loan_id)})
        case BorrowerLoanClosed(loan_id=loan_id):
            kept = tuple(loan for loan in state.open_loans if loan != loan_id)
            return state.model_copy(update={"open_loans": kept})
    return state


def open_loan(member_id: UUID, club_id: UUID, loan_id: UUID, on: date) -> list[Event]:
    """The limit itself is checked by `loan.apply`, given `len(state.open_loans)`."""
    return [BorrowerLoanOpened(member_id=member_id, club_id=club_id, loan_id=loan_id, opened_on=on)]


def close_loan(
    state: Borrower,
    member_id: UUID,
    club_id: UUID,
    loan_id: UUID,
    on: date,
    outcome: LoanOutcome,
) -> list[Event]:
    if loan_id not in state.open_loans:
        return []
    return [
        BorrowerLoanClosed(
            member_id=member_id, club_id=club_id, loan_id=loan_id, closed_on=on, outcome=outcome
        )
    ]
