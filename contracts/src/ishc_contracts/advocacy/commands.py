"""Advocacy commands: the first requests the gateway sends (request/reply, domain A4)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from ishc_contracts.advocacy.events import CaseTrigger, PaymentChannel, Scheme
from ishc_contracts.events import Command
from ishc_contracts.values import Code, Codes, DocumentRef, PositiveVnd


class _Advocacy(Command):
    service: ClassVar[str] = "advocacy"


class ScreenEligibility(_Advocacy):
    """Facts are gathered by advocacy from its own projections, not sent by the client."""

    screening_id: UUID
    person_id: UUID
    scheme: Scheme
    as_of: date


class OpenEntitlementCase(_Advocacy):
    case_id: UUID
    person_id: UUID
    club_id: UUID
    scheme: Scheme
    opened_on: date
    trigger: CaseTrigger = "member_request"
    screening_id: UUID | None = None


class RecordSubmission(_Advocacy):
    case_id: UUID
    submitted_on: date
    office: Code
    documents: Codes = ()
    reference_no: DocumentRef | None = None


class ConfirmPayment(_Advocacy):
    case_id: UUID
    payment_id: UUID
    paid_on: date
    amount: PositiveVnd
    period_from: date | None = None
    period_to: date | None = None
    channel: PaymentChannel | None = None


COMMANDS: tuple[type[Command], ...] = (
    ScreenEligibility,
    OpenEntitlementCase,
    RecordSubmission,
    ConfirmPayment,
)
