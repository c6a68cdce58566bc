"""Advocacy commands (request/reply, domain A4)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ishc_contracts.advocacy.events import CaseCloseReason, CaseTrigger, PaymentChannel, Scheme
from ishc_contracts.events import Command
from ishc_contracts.values import Code, Codes, DocumentRef, Note, PositiveVnd, ShortText, Vnd


class _Advocacy(Command):
    service: ClassVar[str] = "advocacy"


class ScreenEligibility(_Advocacy):
    """Facts are gathered by advocacy from its own projections, not sent by the client."""

    screening_id: UUID
    person_id: UUID
    scheme: Scheme
    as_of: date
    trigger: Code | None = None


class RecordBenefitFacts(_Advocacy):
    person_id: UUID
    club_id: UUID
    recorded_on: date
    monthly_pension: Vnd | None = None
    has_supporter: bool | None = None
    especially_difficult_commune: bool | None = None


class OpenEntitlementCase(_Advocacy):
    case_id: UUID
    person_id: UUID
    club_id: UUID
    scheme: Scheme
    opened_on: date
    trigger: CaseTrigger = "member_request"
    screening_id: UUID | None = None


class MarkDocumentsReady(_Advocacy):
    case_id: UUID
    ready_on: date
    documents: Codes = ()


class RecordSubmission(_Advocacy):
    case_id: UUID
    submitted_on: date
    office: Code
    documents: Codes = ()
    reference_no: DocumentRef | None = None


class CheckSubmissionDeadline(_Advocacy):
    """Fired by the scheduler (timer `sla:<case>`) the day after the decision period ends."""

    case_id: UUID
    as_of: date


class RecordDecision(_Advocacy):
    case_id: UUID
    decided_on: date
    outcome: Literal["approved", "rejected"]
    monthly_amount: PositiveVnd | None = None
    lump_sum: PositiveVnd | None = None
    payable_from: date | None = None
    reason: Note | None = None
    reason_code: Code | None = None
    decision_no: DocumentRef | None = None


class FileAppeal(_Advocacy):
    case_id: UUID
    filed_on: date
    grounds: Note


class ConfirmPayment(_Advocacy):
    case_id: UUID
    payment_id: UUID
    paid_on: date
    amount: PositiveVnd
    period_from: date | None = None
    period_to: date | None = None
    channel: PaymentChannel | None = None


class CloseEntitlementCase(_Advocacy):
    case_id: UUID
    closed_on: date
    reason: CaseCloseReason
    note: Note | None = None


class RaiseIssue(_Advocacy):
    issue_id: UUID
    club_id: UUID
    topic: ShortText
    raised_on: date
    affected_member_ids: tuple[UUID, ...] = ()
    description: Note | None = None


class SubmitPetition(_Advocacy):
    issue_id: UUID
    petition_id: UUID
    authority: Code
    submitted_on: date
    signatures: int = Field(default=0, ge=0)


class RecordAuthorityResponse(_Advocacy):
    issue_id: UUID
    petition_id: UUID
    responded_on: date
    outcome: Literal["accepted", "partly_accepted", "refused", "referred"]
    summary: Note | None = None


class RecordAwarenessSession(_Advocacy):
    session_id: UUID
    club_id: UUID
    topic: Code
    held_on: date
    attendee_member_ids: tuple[UUID, ...] = ()
    guests: int = Field(default=0, ge=0)
    facilitator: ShortText | None = None


COMMANDS: tuple[type[Command], ...] = (
    ScreenEligibility,
    RecordBenefitFacts,
    OpenEntitlementCase,
    MarkDocumentsReady,
    RecordSubmission,
    CheckSubmissionDeadline,
    RecordDecision,
    FileAppeal,
    ConfirmPayment,
    CloseEntitlementCase,
    RaiseIssue,
    SubmitPetition,
    RecordAuthorityResponse,
    RecordAwarenessSession,
)
