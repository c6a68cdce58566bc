"""Servicing an active loan: repayments, arrears, pauses, write-off, a deceased borrower."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from uuid import UUID

from finance.domain.arrears import (
    Allocation,
    allocate,
    arrears_on,
    day_reaching,
    days_overdue,
    oldest_unpaid,
    owed,
    paid_by,
    principal_repaid_by,
    split_in_received_order,
)
from finance.domain.errors import (
    InvalidPeriod,
    InvalidState,
    Overpayment,
    PauseOverlaps,
    WrongDecision,
)
from finance.domain.loan import DecisionFact, Loan, evolve, not_before
from finance.domain.rules import next_bucket_day
from ishc_contracts import Event
from ishc_contracts.finance.commands import PauseDelinquency, PostRepayment, WriteOffLoan
from ishc_contracts.finance.events import (
    DeceasedBorrowerCaseOpened,
    DelinquencyPaused,
    InterestAllocatedToActivityFund,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanPrincipalReturned,
    LoanRepaid,
    LoanWrittenOff,
    RepaymentReallocated,
    RepaymentReceived,
    RepaymentSplitCorrected,
)
from ishc_contracts.finance.ids import fund_id_for


def _active(state: Loan, doing: str) -> None:
    if state.status != "active":
        raise InvalidState(f"cannot {doing} a loan that is {state.status}", field="loan_id")


def repay(state: Loan, cmd: PostRepayment, today: date) -> list[Event]:
    """Split the cash oldest installment first, interest before principal, in the order the
    cash was received: a repayment keyed in after others received later than it takes the
    older installments, and those later ones are split again (RepaymentReallocated). A loan
    flagged overdue is judged again on `today` with the repayment counted from its
    `received_on`.
    The same repayment (by `repayment_id`) uploaded again appends nothing. The loan is repaid
    on the day of the latest receipt, whatever order the receipts were keyed in."""
    if cmd.repayment_id in state.repayment_ids:
        return []
    _active(state, "repay")
    not_before(cmd.received_on, state.disbursed_on, "received_on", "the disbursement")
    club_id, fund_id, member_id = state.ids()
    remaining = owed(state.schedule) - state.paid
    if cmd.amount > remaining:
        raise Overpayment(
            f"{cmd.amount} VND is more than the {remaining} VND owed",
            field="amount",
            owed=remaining,
        )
    splits = split_in_received_order(
        state.schedule,
        [
            *((rid, day, amount) for rid, (day, amount, _p, _i) in state.splits.items()),
            (cmd.repayment_id, cmd.received_on, cmd.amount),
        ],
    )
    split = splits[cmd.repayment_id]
    events: list[Event] = [
        RepaymentReceived(
            loan_id=cmd.loan_id,
            club_id=club_id,
            fund_id=fund_id,
            repayment_id=cmd.repayment_id,
            received_on=cmd.received_on,
            principal=split.principal,
            interest=split.interest,
            receipt=cmd.receipt,
        ),
        *_reallocations(state, cmd.loan_id, splits),
    ]
    if cmd.amount == remaining:
        events.append(
            LoanRepaid(
                loan_id=cmd.loan_id,
                club_id=club_id,
                member_id=member_id,
                repaid_on=max([cmd.received_on, *(day for day, _ in state.receipts)]),
                principal=state.principal,
                interest=allocate(state.schedule, state.paid + cmd.amount).interest,
            )
        )
    elif state.bucket is not None:
        # The loan was flagged overdue: judge again with this repayment in, as of today (or
        # the day received, for a repayment dated ahead), so a late-keyed repayment cures
        # the arrears; the cure is dated the day the cash came in when it sufficed by then.
        paid_in = evolve(state, events[0])
        events.extend(
            assess_arrears(paid_in, cmd.loan_id, max(today, cmd.received_on), cmd.received_on)
        )
    return events


def _reallocations(
    state: Loan, loan_id: UUID, splits: Mapping[UUID, Allocation]
) -> list[RepaymentReallocated]:
    """The repayments already recorded whose split a repayment received before them changes."""
    club_id, fund_id, _member_id = state.ids()
    moved = []
    for repayment_id, (received_on, _amount, principal, _interest) in state.splits.items():
        now = splits[repayment_id]
        if now.principal != principal:
            moved.append(
                RepaymentReallocated(
                    loan_id=loan_id,
                    club_id=club_id,
                    fund_id=fund_id,
                    repayment_id=repayment_id,
                    received_on=received_on,
                    principal=now.principal,
                    interest=now.interest,
                    principal_change=now.principal - principal,
                )
            )
    return sorted(moved, key=lambda e: (e.received_on, str(e.repayment_id)))


def assess_arrears(
    state: Loan, loan_id: UUID, as_of: date, cured_on: date | None = None
) -> list[Event]:
    """On `as_of`: a LoanBecameOverdue when the loan enters a bucket (or a later installment
    becomes the oldest unpaid), LoanBecameCurrent when it left arrears; else nothing.

    The verdict counts only repayments received by `as_of` (a timer that fires late judges
    the day it was set for). LoanBecameCurrent is dated `cured_on` when the loan was already
    current that day (a repayment keyed in after the timer fired), else `as_of`."""
    if state.status != "active":
        return []
    club_id, _fund_id, member_id = state.ids()
    late = arrears_on(state.schedule, state.receipts, state.pauses, state.arrears_tolerance, as_of)
    if late is None:
        if state.bucket is None:
            return []
        current_since = as_of
        if cured_on is not None and cured_on <= as_of and _current_on(state, cured_on):
            current_since = cured_on
        return [LoanBecameCurrent(loan_id=loan_id, club_id=club_id, as_of=current_since)]
    if (late.bucket, late.installment) == (state.bucket, state.overdue_installment):
        return []
    return [
        LoanBecameOverdue(
            loan_id=loan_id,
            club_id=club_id,
            member_id=member_id,
            as_of=as_of,
            installment=late.installment,
            days_overdue=late.days_overdue,
            bucket=late.bucket,
            overdue_principal=late.overdue_principal,
            overdue_interest=late.overdue_interest,
            outstanding_principal=state.principal
            - principal_repaid_by(state.schedule, state.receipts, as_of),
        )
    ]


def _current_on(state: Loan, day: date) -> bool:
    """Current at the end of `day`: nothing due up to and including it is left unpaid."""
    tomorrow = day + timedelta(days=1)
    late = oldest_unpaid(state.schedule, paid_by(state.receipts, day), tomorrow)
    return late is None or late.principal + late.interest <= state.arrears_tolerance


def next_assessment(state: Loan, as_of: date) -> date | None:
    """When to look again: the day the loan would enter its next bucket (pauses as known)."""
    if state.status != "active":
        return None
    late = oldest_unpaid(state.schedule, paid_by(state.receipts, as_of), as_of)
    if late is None:
        return None
    target = next_bucket_day(days_overdue(late.due_on, as_of, state.pauses))
    return None if target is None else day_reaching(late.due_on, target, state.pauses)


def pause(state: Loan, cmd: PauseDelinquency) -> list[Event]:
    _active(state, "pause")
    if cmd.ends_on < cmd.starts_on:
        raise InvalidPeriod(f"ends_on {cmd.ends_on} is before starts_on", field="ends_on")
    club_id, _fund_id, _member_id = state.ids()
    for start, end in state.pauses:
        if cmd.starts_on <= end and start <= cmd.ends_on:
            raise PauseOverlaps(f"overlaps the pause {start}..{end}", field="starts_on")
    return [DelinquencyPaused(club_id=club_id, **cmd.model_dump())]


def write_off(state: Loan, cmd: WriteOffLoan, decision: DecisionFact | None) -> list[Event]:
    _active(state, "write off")
    club_id, fund_id, _member_id = state.ids()
    if decision is None:
        raise WrongDecision(f"no meeting decision {cmd.decision_id} is known", field="decision_id")
    if decision.kind != "loan_write_off" or decision.club_id != club_id:
        raise WrongDecision("the decision is not a write-off of this club", field="decision_id")
    return [
        LoanWrittenOff(
            loan_id=cmd.loan_id,
            club_id=club_id,
            fund_id=fund_id,
            written_off_on=cmd.written_off_on,
            principal=state.outstanding_principal,
            interest=state.outstanding_interest,
            reason=cmd.reason,
            meeting_id=decision.meeting_id,
            decision_id=cmd.decision_id,
        )
    ]


def open_deceased_case(state: Loan, loan_id: UUID, died_on: date) -> list[Event]:
    """Idempotent by nature: nothing when the loan is closed or the case is open already."""
    if state.status != "active" or state.case_open:
        return []
    club_id, _fund_id, member_id = state.ids()
    return [
        DeceasedBorrowerCaseOpened(
            loan_id=loan_id,
            club_id=club_id,
            member_id=member_id,
            died_on=died_on,
            outstanding_principal=state.outstanding_principal,
            outstanding_interest=state.outstanding_interest,
        )
    ]


def repayment_postings(
    paid: RepaymentReceived,
) -> tuple[LoanPrincipalReturned | None, InterestAllocatedToActivityFund | None]:
    """Where a repayment's cash goes: principal and penalty back to the loan's revolving fund,
    interest to the club's activity fund. The one split the service and the simulator apply."""
    returned = None
    if paid.principal + paid.penalty:
        returned = LoanPrincipalReturned(
            fund_id=paid.fund_id,
            club_id=paid.club_id,
            loan_id=paid.loan_id,
            repayment_id=paid.repayment_id,
            principal=paid.principal,
            penalty=paid.penalty,
            received_on=paid.received_on,
        )
    interest = None
    if paid.interest:
        interest = InterestAllocatedToActivityFund(
            fund_id=fund_id_for(paid.club_id, "activity"),
            club_id=paid.club_id,
            loan_id=paid.loan_id,
            repayment_id=paid.repayment_id,
            amount=paid.interest,
            received_on=paid.received_on,
        )
    return returned, interest


def reallocation_postings(moved: RepaymentReallocated) -> list[RepaymentSplitCorrected]:
    """What a re-split moves between the loan's revolving fund (principal) and the club's
    activity fund (interest), on the day the repayment was received."""
    return [
        RepaymentSplitCorrected(
            fund_id=fund_id,
            club_id=moved.club_id,
            fund_type=fund_type,
            loan_id=moved.loan_id,
            repayment_id=moved.repayment_id,
            amount=amount,
            received_on=moved.received_on,
        )
        for fund_id, fund_type, amount in (
            (moved.fund_id, "income_generation", moved.principal_change),
            (fund_id_for(moved.club_id, "activity"), "activity", -moved.principal_change),
        )
    ]
