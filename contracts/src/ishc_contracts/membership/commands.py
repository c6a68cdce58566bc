"""Membership commands: the first requests the gateway sends (request/reply, domain A1)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import Command, Sensitive
from ishc_contracts.membership.events import ConsentMethod, LeaveReason
from ishc_contracts.values import (
    Code,
    Codes,
    DocumentRef,
    IdNumber,
    MonthDay,
    Note,
    PersonName,
    Phone,
    Sex,
    ShortText,
)


class _Membership(Command):
    service: ClassVar[str] = "membership"


class EstablishClub(_Membership):
    club_id: UUID = Field(description="UUIDv7 made by the client: a retry names the same club")
    name: ShortText
    admin_unit: Code
    village: ShortText | None = None
    founded_on: date
    founding_project: Code | None = None
    activity_areas: Codes = ()
    meeting_day_of_month: MonthDay | None = None


class AdoptCharter(_Membership):
    club_id: UUID
    charter_version: int = Field(ge=1)
    adopted_on: date
    meeting_id: UUID | None = None
    meeting_day_of_month: MonthDay | None = None
    board_term_years: int | None = Field(default=None, ge=1, le=10)
    document: DocumentRef | None = None


class AdmitMember(_Membership):
    member_id: UUID
    club_id: UUID
    person_id: UUID
    household_id: UUID | None = None
    full_name: PersonName
    sex: Sex
    birth_date: date | None = None
    village: ShortText | None = None
    joined_on: date
    id_number: IdNumber | None = Sensitive(default=None)
    phone: Phone | None = Sensitive(default=None)


class RecordMemberExit(_Membership):
    member_id: UUID
    left_on: date
    reason: LeaveReason
    note: Note | None = None


class RecordConsent(_Membership):
    consent_id: UUID
    person_id: UUID
    club_id: UUID
    purpose: Code
    given_on: date
    method: ConsentMethod
    document: DocumentRef | None = None


class WithdrawConsent(_Membership):
    consent_id: UUID
    person_id: UUID
    withdrawn_on: date
    method: ConsentMethod


COMMANDS: tuple[type[Command], ...] = (
    EstablishClub,
    AdoptCharter,
    AdmitMember,
    RecordMemberExit,
    RecordConsent,
    WithdrawConsent,
)
