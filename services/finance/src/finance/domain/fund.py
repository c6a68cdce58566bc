"""A club fund (stream `fund-<fund_id>`): its cash is the sum of its postings, never negative.

Every event on a fund stream is a posting: money in (capital, fees, principal returned,
interest) or out (a loan disbursed, mutual aid). `postings` keeps the signed sum separately
from `cash` so that a test can check the ledger balances. What each event posts, and on
which day, is the contracts' (`ishc_contracts.finance.postings`): the fund's read models
book the same amounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from finance.domain.errors import FundLimitReached, InsufficientCash, InvalidState
from finance.domain.rules import FUND_INFLOW_LIMITS
from ishc_contracts import Event
from ishc_contracts.finance.events import (
    FundCapitalised,
    FundType,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MonthClosed,
    MutualAidGranted,
    RepaymentSplitCorrected,
)
from ishc_contracts.finance.postings import flows, month_of, posting, posting_day


class Fund(BaseModel):
    model_config = ConfigDict(frozen=True)

    club_id: UUID | None = None
    fund_type: FundType | None = None
    cash: int = 0
    postings: int = 0  # number of postings
    total_in: int = 0
    total_out: int = 0
    closed_through: date | None = None  # first day of the last closed month
    closed_balance: int = 0
    open_months: dict[date, tuple[int, int]] = {}  # month -> (inflow, outflow), not closed


def evolve(state: Fund, event: Event) -> Fund:
    if isinstance(event, MonthClosed):
        months = {m: f for m, f in state.open_months.items() if m > event.month}
        return state.model_copy(
            update={
                "closed_through": event.month,
                "closed_balance": event.closing,
                "open_months": months,
                "club_id": state.club_id or event.club_id,
            }
        )
    amount = posting(event)
    money_in, money_out = flows(event)
    month = month_of(posting_day(event)[1])
    inflow, outflow = state.open_months.get(month, (0, 0))
    update: dict[str, object] = {
        "open_months": {**state.open_months, month: (inflow + money_in, outflow + money_out)},
        "cash": state.cash + amount,
        "postings": state.postings + 1,
        "total_in": state.total_in + money_in,
        "total_out": state.total_out + money_out,
    }
    if isinstance(event, FundCapitalised):
        update["fund_type"] = event.fund_type
    if state.club_id is None:
        update["club_id"] = getattr(event, "club_id", None)
    return state.model_copy(update=update)


def _check_club(state: Fund, club_id: UUID) -> None:
    if state.club_id is not None and state.club_id != club_id:
        raise InvalidState(f"the fund belongs to club {state.club_id}", field="club_id")


def _check_open(state: Fund, event: Event) -> None:
    field, day = posting_day(event)
    if state.closed_through is not None and month_of(day) <= state.closed_through:
        raise InvalidState(
            f"the books are closed through {state.closed_through:%Y-%m}", field=field
        )


def _check_limit(state: Fund, event: Event, field: str) -> None:
    """Refuse money in that would take the fund's lifetime inflow over its ceiling."""
    amount = posting(event)
    fund_type = state.fund_type or getattr(event, "fund_type", None) or "income_generation"
    limit = FUND_INFLOW_LIMITS[fund_type]
    if amount > 0 and state.total_in + amount > limit:
        raise FundLimitReached(
            f"the fund has taken in {state.total_in} VND; {amount} more would pass its "
            f"lifetime ceiling of {limit} VND",
            field=field,
            limit=limit,
        )


def _accept(state: Fund, event: Event, club_id: UUID, field: str = "amount") -> list[Event]:
    _check_club(state, club_id)
    _check_open(state, event)
    _check_limit(state, event, field)
    return [event]


def close_books(state: Fund, fund_id: UUID, month: date) -> list[Event]:
    """Close through `month`: the months not yet closed up to it, with the balance carried."""
    month = month_of(month)
    if state.closed_through is not None and month <= state.closed_through:
        raise InvalidState(f"closed through {state.closed_through:%Y-%m} already", field="month")
    if state.club_id is None:
        return []  # a fund that never had a posting has nothing to close
    flows = [f for m, f in state.open_months.items() if m <= month]
    inflow, outflow = sum(f[0] for f in flows), sum(f[1] for f in flows)
    return [
        MonthClosed(
            fund_id=fund_id,
            club_id=state.club_id,
            month=month,
            opening=state.closed_balance,
            inflow=inflow,
            outflow=outflow,
            closing=state.closed_balance + inflow - outflow,
        )
    ]


def capitalise(state: Fund, event: FundCapitalised) -> list[Event]:
    return _accept(state, event, event.club_id)


def receive_fee(state: Fund, event: MembershipFeeReceived) -> list[Event]:
    return _accept(state, event, event.club_id)


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
    if amount > state.cash:
        raise InsufficientCash(
            f"the fund has {state.cash} VND, the loan needs {amount} VND",
            field="principal",
            available=state.cash,
        )
    out = LoanCashDisbursed(
        fund_id=fund_id,
        club_id=club_id,
        loan_id=loan_id,
        member_id=member_id,
        amount=amount,
        disbursed_on=on,
    )
    return _accept(state, out, club_id)


def grant_aid(state: Fund, event: MutualAidGranted) -> list[Event]:
    if event.amount > state.cash:
        raise InsufficientCash(
            f"the fund has {state.cash} VND, the grant is {event.amount} VND",
            field="amount",
            available=state.cash,
        )
    return _accept(state, event, event.club_id)


# Money a loan sends back to a fund: principal, interest, or a re-split of a repayment.
LoanReturn = LoanPrincipalReturned | InterestAllocatedToActivityFund | RepaymentSplitCorrected


def receive(state: Fund, event: LoanReturn) -> list[Event]:
    """Money coming back from a loan (the loan already checked the amounts)."""
    if state.cash + posting(event) < 0:
        raise InsufficientCash(
            f"the fund has {state.cash} VND, the correction takes {-posting(event)} VND",
            field="amount",
            available=state.cash,
        )
    return _accept(state, event, event.club_id)


def receive_all(state: Fund, events: Sequence[LoanReturn]) -> list[Event]:
    """Several postings from one repayment, money in first so the cash never dips below
    zero between them (their sum never takes cash out: a re-split only moves money)."""
    accepted: list[Event] = []
    for event in sorted(events, key=lambda e: posting(e) < 0):
        accepted += receive(state, event)
        state = evolve(state, event)
    return accepted
