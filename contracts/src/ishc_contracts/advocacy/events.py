"""Advocacy events: eligibility screening, entitlement cases and collective voice (domain A4).

Schemes (social_pension, social_allowance_elderly, disability_allowance, health_insurance,
funeral_support, ...) are reference-data codes: schemes and their rules change by decree.

Case lifecycle (the issue's names in brackets): EntitlementCaseOpened [EntitlementClaimed] →
DocumentsReady → EntitlementClaimed [ApplicationSubmitted: office, date] →
EntitlementApproved | EntitlementRejected (→ AppealFiled → a new decision) →
BenefitPaymentConfirmed → EntitlementCaseClosed; SubmissionOverdue when the office is late.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from ishc_contracts.events import Event, Sensitive
from ishc_contracts.values import Code, Codes, DocumentRef, Note, PositiveVnd, ShortText, Vnd

ScreeningResult = Literal["eligible", "not_eligible", "needs_information"]
CaseTrigger = Literal["screening", "member_request", "member_died", "care_case_closed", "other"]
PaymentChannel = Literal["cash", "bank", "post_office", "other"]
CaseCloseReason = Literal["paid", "rejected_final", "withdrawn", "person_died", "other"]
Scheme = Code
FactValue = str | int | bool | None


class _Advocacy(Event):
    service: ClassVar[str] = "advocacy"


class EligibilityScreened(_Advocacy):
    """A person was screened for a scheme. Rule and parameter-table versions and the facts
    are kept, so the result stays explainable (and unchanged) after the rules change."""

    aggregate: ClassVar[str] = "screening"

    screening_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    club_id: UUID
    scheme: Scheme
    as_of: date
    result: ScreeningResult
    rule_version: ShortText
    parameters_version: ShortText | None = Field(
        default=None, description="Version of the policy-parameter table the rule read"
    )
    expected_monthly_amount: Vnd | None = None
    expected_lump_sum: Vnd | None = None
    state_share_percent: int | None = Field(
        default=None, ge=0, le=100, description="Health-insurance premium share paid by the state"
    )
    reasons: Codes = ()
    trigger: Code | None = Field(default=None, description="What asked for the screening")
    facts: dict[str, FactValue] | None = Sensitive(
        "benefits",
        default=None,
        description="Facts the rules read (age, poverty status, disability, ...)",
    )


class BenefitFactsRecorded(_Advocacy):
    """Facts the club learnt for screening that no other service records (pension, supporter)."""

    aggregate: ClassVar[str] = "person"

    person_id: UUID
    club_id: UUID
    recorded_on: date
    monthly_pension: Vnd | None = Sensitive(
        "benefits", default=None, description="Monthly pension or SI benefit received (0 = none)"
    )
    has_supporter: bool | None = Sensitive(
        "benefits", default=None, description="Has a legal supporter"
    )
    especially_difficult_commune: bool | None = None


class EntitlementCaseOpened(_Advocacy):
    """The club started helping a person claim an entitlement (the claim is made)."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    club_id: UUID
    scheme: Scheme
    opened_on: date
    trigger: CaseTrigger
    screening_id: UUID | None = None
    flags: Codes = Field(
        default=(), description="e.g. screened_not_eligible: allowed, the commune decides"
    )


class DocumentsReady(_Advocacy):
    """The application file is complete (form 01, ID, certificates)."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    ready_on: date
    documents: Codes = ()


class EntitlementClaimed(_Advocacy):
    """The application was submitted to the competent office (usually the commune PC)."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    submitted_on: date
    office: Code = Field(description="Admin-unit code of the receiving office")
    documents: Codes = ()
    reference_no: DocumentRef | None = None
    decision_due_on: date | None = Field(
        default=None, description="Last day of the office's decision period (working days)"
    )


class SubmissionOverdue(_Advocacy):
    """Scheduler fact: the office had not decided by the end of its decision period."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    submitted_on: date
    decision_due_on: date
    as_of: date


class EntitlementApproved(_Advocacy):
    """The office approved the claim: a monthly amount from a month, or a lump sum."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    decided_on: date
    monthly_amount: PositiveVnd | None = None
    lump_sum: PositiveVnd | None = None
    payable_from: date | None = None
    decision_no: DocumentRef | None = None

    @model_validator(mode="after")
    def _monthly_amount_has_a_start(self) -> EntitlementApproved:
        # Both amounts may be absent: a health-insurance card is an approval without money.
        if self.monthly_amount is not None and self.payable_from is None:
            msg = "a monthly amount needs payable_from"
            raise ValueError(msg)
        return self


class EntitlementRejected(_Advocacy):
    """The office rejected the claim; the reason is kept for a possible appeal."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    decided_on: date
    reason: Note
    reason_code: Code | None = None
    decision_no: DocumentRef | None = None


class AppealFiled(_Advocacy):
    """The person (helped by the club) appealed a rejection; a new decision is awaited."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    filed_on: date
    grounds: Note


class BenefitPaymentConfirmed(_Advocacy):
    """The person confirmed receiving a payment of the entitlement."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    payment_id: UUID
    paid_on: date
    amount: PositiveVnd
    period_from: date | None = None
    period_to: date | None = None
    channel: PaymentChannel | None = None
    first_payment: bool = False


class EntitlementCaseClosed(_Advocacy):
    """The club's work on the case ended."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    closed_on: date
    reason: CaseCloseReason
    note: Note | None = Sensitive("notes", default=None)


class IssueRaised(_Advocacy):
    """A club raised a collective issue (a road, a missing payment, a health-station problem)."""

    aggregate: ClassVar[str] = "issue"

    issue_id: UUID
    club_id: UUID
    topic: ShortText
    raised_on: date
    affected_member_ids: tuple[UUID, ...] = ()
    description: Note | None = None


class PetitionSubmitted(_Advocacy):
    """A petition on an issue went to an authority (commune PC, health station, ...)."""

    aggregate: ClassVar[str] = "issue"

    issue_id: UUID
    club_id: UUID
    petition_id: UUID
    authority: Code
    submitted_on: date
    signatures: int = Field(default=0, ge=0)


class AuthorityResponded(_Advocacy):
    """The authority answered a petition."""

    aggregate: ClassVar[str] = "issue"

    issue_id: UUID
    club_id: UUID
    petition_id: UUID
    responded_on: date
    outcome: Literal["accepted", "partly_accepted", "refused", "referred"]
    summary: Note | None = None


class AwarenessSessionHeld(_Advocacy):
    """A rights-awareness session (legal aid day, new social-pension rules) and who came."""

    aggregate: ClassVar[str] = "session"

    session_id: UUID
    club_id: UUID
    topic: Code = Field(description="e.g. social_pension_2025, health_insurance, legal_aid")
    held_on: date
    attendee_member_ids: tuple[UUID, ...] = ()
    guests: int = Field(default=0, ge=0)
    facilitator: ShortText | None = None


EVENTS: tuple[type[Event], ...] = (
    EligibilityScreened,
    BenefitFactsRecorded,
    EntitlementCaseOpened,
    DocumentsReady,
    EntitlementClaimed,
    SubmissionOverdue,
    EntitlementApproved,
    EntitlementRejected,
    AppealFiled,
    BenefitPaymentConfirmed,
    EntitlementCaseClosed,
    IssueRaised,
    PetitionSubmitted,
    AuthorityResponded,
    AwarenessSessionHeld,
)
