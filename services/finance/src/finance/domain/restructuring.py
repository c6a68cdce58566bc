"""Restructuring: rescheduling the unpaid part of a loan, recoveries after a write-off.

Reschedule rule: installments the payments cover stay exactly as they were (a partly paid one
is kept with the amounts actually paid); the unpaid principal gets a new schedule from the
reschedule date, interest computed afresh on it by the loan's method and rate. Interest that
was scheduled but not yet paid is not carried over (the loan is re-aged, not penalised).
"""

from __future__ import annotations

from finance.domain.errors import InvalidState, Overpayment
from finance.domain.loan import Loan
from finance.domain.schedule import build_schedule
from ishc_contracts import Event
from ishc_contracts.finance.commands import PostRecovery, RescheduleLoan
from ishc_contracts.finance.events import (
    Installment,
    LoanPrincipalReturned,
    LoanRescheduled,
    RecoveryReceived,
)


def kept_installments(schedule: tuple[Installment, ...], paid: int) -> list[Installment]:
    """The part of the schedule `paid` covers, oldest first (interest before principal)."""
    kept, left = [], paid
    for item in schedule:
        interest = min(left, item.interest)
        principal = min(left - interest, item.principal)
        left -= interest + principal
        if interest + principal == 0:
            break
        kept.append(item.model_copy(update={"interest": interest, "principal": principal}))
        if principal < item.principal or interest < item.interest:
            break
    return kept


def reschedule(state: Loan, cmd: RescheduleLoan, repayment_day: int | None) -> list[Event]:
    if state.status != "active":
        raise InvalidState(f"cannot reschedule a loan that is {state.status}", field="loan_id")
    club_id, _, _ = state.ids()
    unpaid = state.outstanding_principal
    if unpaid <= 0:
        raise InvalidState("no principal is left to reschedule", field="loan_id")
    kept = kept_installments(state.schedule, state.paid)
    fresh = build_schedule(
        unpaid,
        cmd.term_months,
        state.interest_method,
        state.monthly_interest_bp,
        0,
        cmd.rescheduled_on,
        repayment_day,
    )
    renumbered = [
        item.model_copy(update={"number": len(kept) + n}) for n, item in enumerate(fresh, 1)
    ]
    return [
        LoanRescheduled(
            loan_id=cmd.loan_id,
            club_id=club_id,
            rescheduled_on=cmd.rescheduled_on,
            reason=cmd.reason,
            unpaid_principal=unpaid,
            schedule=(*kept, *renumbered),
            decision_id=cmd.decision_id,
        )
    ]


def recover(state: Loan, cmd: PostRecovery) -> list[RecoveryReceived]:
    if state.status != "written_off":
        raise InvalidState("recoveries are posted on written-off loans", field="loan_id")
    club_id, fund_id, _ = state.ids()
    left = state.written_off - state.recovered
    if cmd.amount > left:
        raise Overpayment(
            f"{cmd.amount} VND is more than the {left} VND written off and not recovered",
            field="amount",
            owed=left,
        )
    return [
        RecoveryReceived(
            loan_id=cmd.loan_id,
            club_id=club_id,
            fund_id=fund_id,
            recovery_id=cmd.recovery_id,
            amount=cmd.amount,
            received_on=cmd.received_on,
        )
    ]


def recovery_posting(received: RecoveryReceived) -> LoanPrincipalReturned:
    """Where a recovery's cash goes: back to the written-off loan's revolving fund, as
    principal. The one posting the service and any simulation apply."""
    return LoanPrincipalReturned(
        fund_id=received.fund_id,
        club_id=received.club_id,
        loan_id=received.loan_id,
        repayment_id=received.recovery_id,
        principal=received.amount,
        received_on=received.received_on,
    )
