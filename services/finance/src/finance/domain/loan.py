"""A loan (stream `loan-<loan_id>`): applied → approved → active → repaid | written off.

Facts from outside the stream (the member as finance's membership projection sees it, the
meeting decision, the club's product, the member's other loans) are passed in by the handler;
deciding stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from finance.domain.errors import (
    AlreadyExists,
    BeforePreviousStep,
    InvalidState,
    LoanLimitReached,
    NotEligible,
    NotFound,
    OutsideProduct,
    WrongDecision,
)
from finance.domain.rules import ProductTerms
from finance.domain.schedule import build_schedule
from ishc_contracts import Event
from ishc_contracts.finance.commands import (
    ApproveLoan,
    RejectLoanApplication,
    SubmitLoanApplication,
)
from ishc_contracts.finance.events import (
    ArrearsBucket,
    DeceasedBorrowerCaseOpened,
    DelinquencyPaused,
    Installment,
    InterestMethod,
    LoanApplicationRejected,
    LoanApplied,
    LoanApproved,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
    LoanRescheduled,
    LoanWrittenOff,
    RecoveryReceived,
    RepaymentReallocated,
    RepaymentReceived,
)
from ishc_contracts.finance.ids import fund_id_for

Status = Literal["new", "applied", "approved", "active", "repaid", "written_off", "rejected"]


class Loan(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status = "new"
    club_id: UUID | None = None
    fund_id: UUID | None = None
    member_id: UUID | None = None
    principal: int = 0
    term_months: int = 0
    interest_method: InterestMethod = "flat"
    monthly_interest_bp: int = 0
    grace_months: int = 0
    arrears_tolerance: int = 0
    # The business dates of the steps so far: each later step may not be dated before them.
    applied_on: date | None = None
    approved_on: date | None = None
    disbursed_on: date | None = None
    schedule: tuple[Installment, ...] = ()
    paid: int = 0  # principal + interest received
    # (received_on, principal + interest) of every repayment: arrears on a day count only what
    # was received by then, whatever order the repayments were keyed in.
    receipts: tuple[tuple[date, int], ...] = ()
    repayment_ids: frozenset[UUID] = frozenset()
    # repayment_id -> (received_on, amount, principal, interest): how each repayment is split
    # now. Cash covers the schedule in the order it was received, so a repayment keyed in
    # late re-splits those received after it (RepaymentReallocated).
    splits: dict[UUID, tuple[date, int, int, int]] = {}
    principal_paid: int = 0
    interest_paid: int = 0
    pauses: tuple[tuple[date, date], ...] = ()
    bucket: ArrearsBucket | None = None
    overdue_installment: int | None = None
    case_open: bool = False
    written_off: int = 0  # principal + interest written off
    recovered: int = 0

    @property
    def outstanding_principal(self) -> int:
        return self.principal - self.principal_paid

    @property
    def outstanding_interest(self) -> int:
        return sum(item.interest for item in self.schedule) - self.interest_paid

    def ids(self) -> tuple[UUID, UUID, UUID]:
        """(club_id, fund_id, member_id) of a loan that exists."""
        if self.club_id is None or self.fund_id is None or self.member_id is None:
            raise NotFound("no such loan", field="loan_id")
        return self.club_id, self.fund_id, self.member_id


# Events whose effect on the state does not depend on their fields.
_FIXED: dict[type[Event], dict[str, object]] = {
    LoanApplicationRejected: {"status": "rejected"},
    LoanBecameCurrent: {"bucket": None, "overdue_installment": None},
    DeceasedBorrowerCaseOpened: {"case_open": True},
}


def evolve(state: Loan, event: Event) -> Loan:
    fixed = _FIXED.get(type(event))
    if fixed is not None:
        return state.model_copy(update=fixed)
    match event:
        case LoanApplied():
            return state.model_copy(
                update={
                    "status": "applied",
                    "club_id": event.club_id,
                    "fund_id": event.fund_id,
                    "member_id": event.member_id,
                    "principal": event.principal,
                    "term_months": event.term_months,
                    "applied_on": event.applied_on,
                }
            )
        case LoanApproved():
            return state.model_copy(
                update={
                    "status": "approved",
                    "principal": event.principal,
                    "term_months": event.term_months,
                    "interest_method": event.interest_method,
                    "monthly_interest_bp": event.monthly_interest_bp,
                    "grace_months": event.grace_months,
                    "arrears_tolerance": event.arrears_tolerance,
                    "approved_on": event.approved_on,
                }
            )
        case LoanIssued(schedule=schedule):
            return state.model_copy(
                update={
                    "status": "active",
                    "schedule": schedule,
                    "disbursed_on": event.disbursed_on,
                }
            )
        case RepaymentReceived(principal=principal, interest=interest):
            return state.model_copy(
                update={
                    "paid": state.paid + principal + interest,
                    "receipts": (*state.receipts, (event.received_on, principal + interest)),
                    "repayment_ids": state.repayment_ids | {event.repayment_id},
                    "splits": {
                        **state.splits,
                        event.repayment_id: (
                            event.received_on,
                            principal + interest,
                            principal,
                            interest,
                        ),
                    },
                    "principal_paid": state.principal_paid + principal,
                    "interest_paid": state.interest_paid + interest,
                }
            )
        case RepaymentReallocated(repayment_id=repayment_id, principal_change=moved):
            received_on, amount, _, _ = state.splits[repayment_id]
            return state.model_copy(
                update={
                    "splits": {
                        **state.splits,
                        repayment_id: (received_on, amount, event.principal, event.interest),
                    },
                    "principal_paid": state.principal_paid + moved,
                    "interest_paid": state.interest_paid - moved,
                }
            )
        case LoanBecameOverdue(bucket=bucket, installment=installment):
            return state.model_copy(update={"bucket": bucket, "overdue_installment": installment})
        case DelinquencyPaused(starts_on=start, ends_on=end):
            return state.model_copy(update={"pauses": (*state.pauses, (start, end))})
        case LoanRepaid():
            return state.model_copy(update={"status": "repaid", "bucket": None})
        case LoanWrittenOff(principal=principal, interest=interest):
            return state.model_copy(
                update={
                    "status": "written_off",
                    "case_open": False,
                    "written_off": principal + interest,
                    "bucket": None,
                }
            )
        case LoanRescheduled(schedule=schedule):
            return state.model_copy(
                update={"schedule": schedule, "bucket": None, "overdue_installment": None}
            )
        case RecoveryReceived(amount=amount):
            return state.model_copy(update={"recovered": state.recovered + amount})
    return state


@dataclass(frozen=True)
class MemberFact:
    """A member as finance's own membership projection knows them."""

    club_id: UUID
    active: bool


@dataclass(frozen=True)
class DecisionFact:
    meeting_id: UUID
    club_id: UUID
    kind: str
    subject_id: UUID | None


def apply(
    state: Loan,
    cmd: SubmitLoanApplication,
    member: MemberFact | None,
    active_loans: int,
    product: ProductTerms,
) -> list[Event]:
    if state.status != "new":
        raise AlreadyExists(f"loan {cmd.loan_id} exists already", field="loan_id")
    if member is None:
        raise NotFound(f"no member {cmd.member_id} is known to finance", field="member_id")
    if not member.active or member.club_id != cmd.club_id:
        raise NotEligible("only active members of the club borrow", field="member_id")
    if active_loans >= product.max_active_loans_per_member:
        raise LoanLimitReached(
            f"the member has {active_loans} active loan(s); the product allows "
            f"{product.max_active_loans_per_member}",
            field="member_id",
        )
    if not product.min_principal <= cmd.principal <= product.max_principal:
        raise OutsideProduct(
            f"principal must be {product.min_principal}..{product.max_principal} VND",
            field="principal",
        )
    term = cmd.term_months or product.term_months
    if term > product.term_months or term <= product.grace_months:
        raise OutsideProduct(
            f"term must be {product.grace_months + 1}..{product.term_months} months",
            field="term_months",
        )
    if cmd.purpose not in product.purposes:
        raise OutsideProduct(f"purpose must be one of {product.purposes}", field="purpose")
    return [
        LoanApplied(
            **cmd.model_dump(exclude={"term_months"}),
            term_months=term,
            fund_id=fund_id_for(cmd.club_id, "income_generation"),
        )
    ]


def not_before(day: date, previous: date | None, field: str, what: str) -> None:
    """A loan's steps follow each other in business time, whatever order they are keyed in."""
    if previous is not None and day < previous:
        raise BeforePreviousStep(f"{field} {day} is before {what} on {previous}", field=field)


def approve(
    state: Loan, cmd: ApproveLoan, decision: DecisionFact | None, product: ProductTerms
) -> list[Event]:
    if state.status != "applied":
        raise InvalidState(f"a loan that is {state.status} cannot be approved", field="loan_id")
    if decision is None:
        raise NotFound(f"no meeting decision {cmd.decision_id} is known", field="decision_id")
    if (
        decision.kind != "loan_approval"
        or decision.club_id != state.club_id
        or decision.subject_id not in (None, cmd.loan_id)
    ):
        raise WrongDecision(
            "the decision is not this club's approval of this loan", field="decision_id"
        )
    not_before(cmd.approved_on, state.applied_on, "approved_on", "the application")
    principal = cmd.principal or state.principal
    if principal > state.principal:
        raise OutsideProduct("approved principal exceeds the application", field="principal")
    club_id, _, _ = state.ids()
    return [
        LoanApproved(
            loan_id=cmd.loan_id,
            club_id=club_id,
            principal=principal,
            term_months=state.term_months,
            interest_method=product.interest_method,
            monthly_interest_bp=product.monthly_interest_bp,
            grace_months=product.grace_months,
            approved_on=cmd.approved_on,
            meeting_id=decision.meeting_id,
            decision_id=cmd.decision_id,
            product_version=product.version,
            arrears_tolerance=product.arrears_tolerance,
        )
    ]


def issue(state: Loan, loan_id: UUID, on: date, repayment_day: int | None) -> list[Event]:
    if state.status != "approved":
        raise InvalidState(f"a loan that is {state.status} cannot be disbursed", field="loan_id")
    not_before(on, state.approved_on, "disbursed_on", "the approval")
    club_id, fund_id, member_id = state.ids()
    schedule = build_schedule(
        state.principal,
        state.term_months,
        state.interest_method,
        state.monthly_interest_bp,
        state.grace_months,
        on,
        repayment_day,
    )
    return [
        LoanIssued(
            loan_id=loan_id,
            club_id=club_id,
            fund_id=fund_id,
            member_id=member_id,
            principal=state.principal,
            disbursed_on=on,
            schedule=schedule,
        )
    ]


def reject(state: Loan, cmd: RejectLoanApplication) -> list[Event]:
    if state.status not in ("applied", "approved"):
        raise InvalidState(f"a loan that is {state.status} cannot be rejected", field="loan_id")
    club_id, _, member_id = state.ids()
    return [
        LoanApplicationRejected(
            loan_id=cmd.loan_id,
            club_id=club_id,
            member_id=member_id,
            rejected_on=cmd.rejected_on,
            reason=cmd.reason,
        )
    ]
