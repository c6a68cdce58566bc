"""A club fund (stream `fund-<fund_id>`): its cash is the sum of its postings, never negative.

Every event on a fund stream is a posting: money in (capital, fees, principal returned,
interest) or out (a loan disbursed, mutual aid). `postings` keeps the signed sum separately
from `cash` so that a test can check the ledger balances.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from finance.domain.errors import InsufficientCash, InvalidState
from ishc_contracts import Event
from ishc_contracts.finance.events import (
    FundCapitalised,
    FundType,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MutualAidGranted,
)


class Fund(BaseModel):
    model_config = ConfigDict(frozen=True)

    club_id: UUID | None = None
    fund_type: FundType | None = None
    cash: int = 0
    postings: int = 0  # number of postings
    total_in: int = 0
    total_out: int = 0


def posting(event: Event) -> int:
    """The signed amount an event moves in or out of its fund (0: not a posting)."""
    match event:
        case FundCapitalised(amount=amount) | MembershipFeeReceived(amount=amount):
            return amount
        case InterestAllocatedToActivityFund(amount=amount):
            return amount
        case LoanPrincipalReturned(principal=principal, penalty=penalty):
            return principal + penalty
        case LoanCashDisbursed(amount=amount) | MutualAidGranted(amount=amount):
            return -amount
    return 0


def evolve(state: Fund, event: Event) -> Fund:
    amount = posting(event)
    update: dict[str, object] = {
        "cash": state.cash + amount,
        "postings": state.postings + 1,
        "total_in": state.total_in + max(amount, 0),
        "total_out": state.total_out + max(-amount, 0),
    }
    if isinstance(event, FundCapitalised):
        update["fund_type"] = event.fund_type
    if state.club_id is None:
        update["club_id"] = getattr(event, "club_id", None)
    return state.model_copy(update=update)


def _check_club(state: Fund, club_id: UUID) -> None:
    if state.club_id is not None and state.club_id != club_id:
        raise InvalidState(f"the fund belongs to club {state.club_id}", field="club_id")


def capitalise(state: Fund, event: FundCapitalised) -> list[Event]:
    _check_club(state, event.club_id)
    return [event]


def receive_fee(state: Fund, event: MembershipFeeReceived) -> list[Event]:
    _check_club(state, event.club_id)
    return [event]


def disburse(
    state: Fund,
    fund_id: UUID,
    club_id: UUID,
    loan_id: UUID,
    member_id: UUID,
    amount: int,
    on: date,
) -> list[Event]:
    """Cash out for a loan: refused when it would take the fund below zero."""
    _check_club(state, club_id)
    if amount > state.cash:
        raise InsufficientCash(
            f"the fund has {state.cash} VND, the loan needs {amount} VND",
            field="principal",
            available=state.cash,
        )
    return [
        LoanCashDisbursed(
            fund_id=fund_id,
            club_id=club_id,
            loan_id=loan_id,
            member_id=member_id,
            amount=amount,
            disbursed_on=on,
        )
    ]


def grant_aid(state: Fund, event: MutualAidGranted) -> list[Event]:
    _check_club(state, event.club_id)
    if event.amount > state.cash:
        raise InsufficientCash(
            f"the fund has {state.cash} VND, the grant is {event.amount} VND",
            field="amount",
            available=state.cash,
        )
    return [event]


def receive(
    state: Fund, event: LoanPrincipalReturned | InterestAllocatedToActivityFund
) -> list[Event]:
    """Money coming back from a loan (the loan already checked the amounts)."""
    _check_club(state, event.club_id)
    return [event]
