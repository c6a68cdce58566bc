"""Advocacy commands (request/reply, domain A4)."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from ishc_contracts.advocacy.events import CaseCloseReason, CaseTrigger, PaymentChannel, Scheme
from ishc_contracts.bounds import (
    Amount,
    CodeList,
    Day,
    Headcount,
    PeopleIds,
    PlannedDay,
    PositiveAmount,
)
from ishc_contracts.events import Command, Sensitive
from ishc_contracts.reference import ReferenceFields
from ishc_contracts.values import Code, DocumentRef, Note, ShortText


class _Advocacy(Command):
    service: ClassVar[str] = "advocacy"


class ScreenEligibility(_Advocacy):
    """Facts are gathered by advocacy from its own projections, not sent by the client."""

    reference_fields: ClassVar[ReferenceFields] = {"scheme": ("schemes", None)}

    screening_id: UUID
    person_id: UUID
    scheme: Scheme
    as_of: PlannedDay
    trigger: Code | None = None


class RecordBenefitFacts(_Advocacy):
    person_id: UUID
    club_id: UUID
    recorded_on: Day
    monthly_pension: Amount | None = None
    has_supporter: bool | None = None
    especially_difficult_commune: bool | None = None


class OpenEntitlementCase(_Advocacy):
    reference_fields: ClassVar[ReferenceFields] = {"scheme": ("schemes", None)}

    case_id: UUID
    person_id: UUID
    club_id: UUID
    scheme: Scheme
    opened_on: Day
    trigger: CaseTrigger = "member_request"
    screening_id: UUID | None = None


class MarkDocumentsReady(_Advocacy):
    case_id: UUID
    ready_on: Day
    documents: CodeList = ()


class RecordSubmission(_Advocacy):
    reference_fields: ClassVar[ReferenceFields] = {"office": ("offices", "submitted_on")}

    case_id: UUID
    submitted_on: Day
    office: Code
    documents: CodeList = ()
    reference_no: DocumentRef | None = None


class CheckSubmissionDeadline(_Advocacy):
    """Fired by the scheduler (timer `sla:<case>`) the day after the decision period ends."""

    case_id: UUID
    as_of: Day


class RecordDecision(_Advocacy):
    case_id: UUID
    decided_on: Day
    outcome: Literal["approved", "rejected"]
    monthly_amount: PositiveAmount | None = None
    lump_sum: PositiveAmount | None = None
    payable_from: PlannedDay | None = None
    reason: Note | None = None
    reason_code: Code | None = None
    decision_no: DocumentRef | None = None


class FileAppeal(_Advocacy):
    case_id: UUID
    filed_on: Day
    grounds: Note


class ConfirmPayment(_Advocacy):
    case_id: UUID
    payment_id: UUID
    paid_on: Day
    amount: PositiveAmount
    period_from: PlannedDay | None = None
    period_to: PlannedDay | None = None
    channel: PaymentChannel | None = None


class CloseEntitlementCase(_Advocacy):
    case_id: UUID
    closed_on: Day
    reason: CaseCloseReason
    note: Note | None = Sensitive("notes", default=None)


class RaiseIssue(_Advocacy):
    issue_id: UUID
    club_id: UUID
    topic: ShortText
    raised_on: Day
    affected_member_ids: PeopleIds = ()
    description: Note | None = None


class SubmitPetition(_Advocacy):
    reference_fields: ClassVar[ReferenceFields] = {"authority": ("authorities", "submitted_on")}

    issue_id: UUID
    petition_id: UUID
    authority: Code
    submitted_on: Day
    signatures: Headcount = 0


class RecordAuthorityResponse(_Advocacy):
    issue_id: UUID
    petition_id: UUID
    responded_on: Day
    outcome: Literal["accepted", "partly_accepted", "refused", "referred"]
    summary: Note | None = None


class RecordAwarenessSession(_Advocacy):
    session_id: UUID
    club_id: UUID
    topic: Code
    held_on: Day
    attendee_member_ids: PeopleIds = ()
    guests: Headcount = 0
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
