"""Advocacy events: eligibility screening and entitlement cases (domain A4).

Schemes (social_pension, social_allowance_elderly, disability_allowance, health_insurance,
funeral_support, ...) are reference-data codes: schemes and their rules change by decree.
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
Scheme = Code
FactValue = str | int | bool | None


class _Advocacy(Event):
    service: ClassVar[str] = "advocacy"


class EligibilityScreened(_Advocacy):
    """A person was screened for a scheme. Rule version and facts are kept so the result stays
    explainable after the rules change."""

    aggregate: ClassVar[str] = "screening"

    screening_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    club_id: UUID
    scheme: Scheme
    as_of: date
    result: ScreeningResult
    rule_version: ShortText
    expected_monthly_amount: Vnd | None = None
    reasons: Codes = ()
    facts: dict[str, FactValue] | None = Sensitive(
        default=None, description="Facts the rules read (age, poverty status, disability, ...)"
    )


class EntitlementCaseOpened(_Advocacy):
    """The club started helping a person claim an entitlement."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    club_id: UUID
    scheme: Scheme
    opened_on: date
    trigger: CaseTrigger
    screening_id: UUID | None = None


class EntitlementClaimed(_Advocacy):
    """The application was submitted to the competent office (usually the commune PC)."""

    aggregate: ClassVar[str] = "case"

    case_id: UUID
    club_id: UUID
    submitted_on: date
    office: Code = Field(description="Admin-unit code of the receiving office")
    documents: Codes = ()
    reference_no: DocumentRef | None = None


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


EVENTS: tuple[type[Event], ...] = (
    EligibilityScreened,
    EntitlementCaseOpened,
    EntitlementClaimed,
    EntitlementApproved,
    EntitlementRejected,
    BenefitPaymentConfirmed,
)
