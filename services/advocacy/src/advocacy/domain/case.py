"""Entitlement case (claim) aggregate: the lifecycle of one claim for one scheme.

opened → documents_ready → submitted → approved | rejected → (appeal → appealed → decision)
→ paid → closed. Anything else is an InvalidTransition naming the current stage.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from advocacy.domain.calendar import WorkingCalendar, add_working_days
from advocacy.domain.errors import CaseExists, CaseNotFound, InvalidDecision, InvalidTransition
from advocacy.domain.parameters import ParameterTable
from ishc_contracts import Event
from ishc_contracts.advocacy.commands import (
    CloseEntitlementCase,
    ConfirmPayment,
    FileAppeal,
    MarkDocumentsReady,
    OpenEntitlementCase,
    RecordDecision,
    RecordSubmission,
)
from ishc_contracts.advocacy.events import (
    AppealFiled,
    BenefitPaymentConfirmed,
    DocumentsReady,
    EligibilityScreened,
    EntitlementApproved,
    EntitlementCaseClosed,
    EntitlementCaseOpened,
    EntitlementClaimed,
    EntitlementRejected,
    SubmissionOverdue,
)

Stage = Literal[
    "none", "opened", "documents_ready", "submitted", "approved", "rejected", "appealed", "paid",
    "closed",
]  # fmt: skip


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: Stage = "none"
    club_id: UUID | None = None
    person_id: UUID | None = None
    scheme: str = ""
    submitted_on: date | None = None
    decision_due_on: date | None = None
    overdue: bool = False


def evolve(state: Case, event: Event) -> Case:
    match event:
        case EntitlementCaseOpened():
            return Case(
                stage="opened", club_id=event.club_id, person_id=event.person_id,
                scheme=event.scheme,
            )  # fmt: skip
        case DocumentsReady():
            return state.model_copy(update={"stage": "documents_ready"})
        case EntitlementClaimed():
            return state.model_copy(
                update={
                    "stage": "submitted",
                    "submitted_on": event.submitted_on,
                    "decision_due_on": event.decision_due_on,
                    "overdue": False,
                }
            )
        case SubmissionOverdue():
            return state.model_copy(update={"overdue": True})
        case EntitlementApproved():
            return state.model_copy(update={"stage": "approved", "overdue": False})
        case EntitlementRejected():
            return state.model_copy(update={"stage": "rejected", "overdue": False})
        case AppealFiled():
            return state.model_copy(update={"stage": "appealed"})
        case BenefitPaymentConfirmed():
            return state.model_copy(update={"stage": "paid"})
        case EntitlementCaseClosed():
            return state.model_copy(update={"stage": "closed"})
    return state


def _require(state: Case, action: str, *allowed: Stage) -> UUID:
    if state.stage == "none":
        raise CaseNotFound("no such entitlement case", field="case_id")
    if state.stage not in allowed:
        msg = f"cannot {action} a case that is {state.stage} (needs {' or '.join(allowed)})"
        raise InvalidTransition(msg, field="case_id", stage=state.stage)
    assert state.club_id is not None
    return state.club_id


def open_case(
    state: Case, cmd: OpenEntitlementCase, screening: EligibilityScreened | None
) -> list[Event]:
    """A claim for a person screened not eligible is allowed but flagged: the commune decides."""
    if state.stage != "none":
        raise CaseExists("the case exists already", field="case_id")
    flags: tuple[str, ...] = ()
    if screening is None:
        flags = ("not_screened",) if cmd.scheme != "funeral_support" else ()
    elif screening.person_id != cmd.person_id or screening.scheme != cmd.scheme:
        raise InvalidDecision("the screening is for another person or scheme", field="screening_id")
    elif screening.result != "eligible":
        flags = (f"screened_{screening.result}",)
    return [
        EntitlementCaseOpened(
            case_id=cmd.case_id, person_id=cmd.person_id,
            member_id=screening.member_id if screening else None, club_id=cmd.club_id,
            scheme=cmd.scheme, opened_on=cmd.opened_on, trigger=cmd.trigger,
            screening_id=cmd.screening_id, flags=flags,
        )
    ]  # fmt: skip


def mark_documents_ready(state: Case, cmd: MarkDocumentsReady) -> list[Event]:
    club = _require(state, "mark documents ready on", "opened")
    return [
        DocumentsReady(
            case_id=cmd.case_id, club_id=club, ready_on=cmd.ready_on, documents=cmd.documents
        )
    ]


def decision_due_on(
    scheme: str, submitted_on: date, params: ParameterTable, calendar: WorkingCalendar
) -> date | None:
    """Last day of the office's decision period (working or calendar days, as the scheme's
    parameters say); None if the scheme has none."""
    working = params.get(scheme, "decision_working_days", submitted_on)
    if working is not None:
        return add_working_days(submitted_on, working, calendar)
    days = params.get(scheme, "decision_calendar_days", submitted_on)
    return None if days is None else submitted_on + timedelta(days=days)


def submit(
    state: Case, cmd: RecordSubmission, params: ParameterTable, calendar: WorkingCalendar
) -> list[Event]:
    club = _require(state, "submit", "documents_ready")
    due = decision_due_on(state.scheme, cmd.submitted_on, params, calendar)
    return [
        EntitlementClaimed(
            case_id=cmd.case_id, club_id=club, submitted_on=cmd.submitted_on, office=cmd.office,
            documents=cmd.documents, reference_no=cmd.reference_no, decision_due_on=due,
        )
    ]  # fmt: skip


def overdue_check_date(state_due: date) -> date:
    """The day the scheduler checks: the first day after the decision period."""
    return state_due + timedelta(days=1)


def check_deadline(state: Case, case_id: UUID, as_of: date) -> list[Event]:
    """Scheduler fact: still undecided after the period → SubmissionOverdue (once)."""
    waiting = state.stage in ("submitted", "appealed")
    due = state.decision_due_on
    if not waiting or state.overdue or due is None or as_of <= due or state.club_id is None:
        return []
    assert state.submitted_on is not None
    return [
        SubmissionOverdue(
            case_id=case_id, club_id=state.club_id, submitted_on=state.submitted_on,
            decision_due_on=due, as_of=as_of,
        )
    ]  # fmt: skip


def decide(state: Case, cmd: RecordDecision) -> list[Event]:
    club = _require(state, f"record a decision ({cmd.outcome}) on", "submitted", "appealed")
    if cmd.outcome == "rejected":
        if not cmd.reason:
            raise InvalidDecision("a rejection needs its reason", field="reason")
        return [
            EntitlementRejected(
                case_id=cmd.case_id, club_id=club, decided_on=cmd.decided_on, reason=cmd.reason,
                reason_code=cmd.reason_code, decision_no=cmd.decision_no,
            )
        ]  # fmt: skip
    if cmd.monthly_amount is not None and cmd.payable_from is None:
        raise InvalidDecision("a monthly amount needs payable_from", field="payable_from")
    return [
        EntitlementApproved(
            case_id=cmd.case_id, club_id=club, decided_on=cmd.decided_on,
            monthly_amount=cmd.monthly_amount, lump_sum=cmd.lump_sum,
            payable_from=cmd.payable_from, decision_no=cmd.decision_no,
        )
    ]  # fmt: skip


def appeal(state: Case, cmd: FileAppeal) -> list[Event]:
    club = _require(state, "appeal", "rejected")
    return [
        AppealFiled(case_id=cmd.case_id, club_id=club, filed_on=cmd.filed_on, grounds=cmd.grounds)
    ]


def confirm_payment(state: Case, cmd: ConfirmPayment) -> list[Event]:
    club = _require(state, "confirm a payment on", "approved", "paid")
    return [
        BenefitPaymentConfirmed(
            case_id=cmd.case_id, club_id=club, payment_id=cmd.payment_id, paid_on=cmd.paid_on,
            amount=cmd.amount, period_from=cmd.period_from, period_to=cmd.period_to,
            channel=cmd.channel, first_payment=state.stage == "approved",
        )
    ]  # fmt: skip


def close(state: Case, cmd: CloseEntitlementCase) -> list[Event]:
    stages: tuple[Stage, ...] = (
        "opened", "documents_ready", "submitted", "approved", "rejected", "appealed", "paid",
    )  # fmt: skip
    club = _require(state, "close", *stages)
    return [
        EntitlementCaseClosed(
            case_id=cmd.case_id, club_id=club, closed_on=cmd.closed_on, reason=cmd.reason,
            note=cmd.note,
        )
    ]  # fmt: skip
