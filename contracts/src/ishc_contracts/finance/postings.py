"""What a fund event posts: the signed amount it moves, its money in and out, and the day it
is booked on. This is the meaning of the events of `funds.py`, so the fund's decider and
every read model of a fund take it from here and cannot disagree."""

from __future__ import annotations

from datetime import date

from ishc_contracts.events import Event
from ishc_contracts.finance.funds import (
    FundCapitalised,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MutualAidGranted,
    RepaymentSplitCorrected,
)


def month_of(day: date) -> date:
    """The month a day is booked in: its first day."""
    return day.replace(day=1)


def posting_day(event: Event) -> tuple[str, date]:
    """The (field, date) a posting is booked on."""
    for name in ("received_on", "disbursed_on", "granted_on"):
        day = getattr(event, name, None)
        if isinstance(day, date):
            return name, day
    msg = f"{type(event).__name__} is not a posting"
    raise TypeError(msg)


def posting(event: Event) -> int:
    """The signed amount an event moves in or out of its fund (0: not a posting)."""
    match event:
        case RepaymentSplitCorrected(amount=amount):
            return amount
        case FundCapitalised(amount=amount) | MembershipFeeReceived(amount=amount):
            return amount
        case InterestAllocatedToActivityFund(amount=amount):
            return amount
        case LoanPrincipalReturned(principal=principal, penalty=penalty):
            return principal + penalty
        case LoanCashDisbursed(amount=amount) | MutualAidGranted(amount=amount):
            return -amount
    return 0


def flows(event: Event) -> tuple[int, int]:
    """(money in, money out) of a posting. A split correction changes the money in of its
    day, up or down, so a statement reads as if the repayments were keyed in received order."""
    amount = posting(event)
    if isinstance(event, RepaymentSplitCorrected):
        return amount, 0
    return max(amount, 0), max(-amount, 0)
