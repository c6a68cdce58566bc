"""Membership commands: what the gateway sends over request/reply (domain A1).

A person's stream is `member-<person_id>` (profile, memberships, disability, consents), so
every command about a member names `person_id`: that is how the handler finds the stream.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import Command, Sensitive
from ishc_contracts.membership.events import (
    BoardSeat,
    ConsentMethod,
    DecisionKind,
    DisabilityLevel,
    LeaveReason,
    MeetingKind,
    ParticipationLevel,
    PovertyStatus,
    ProfileField,
)
from ishc_contracts.values import (
    Code,
    Codes,
    Count,
    DocumentRef,
    IdNumber,
    MonthDay,
    Note,
    PersonName,
    Phone,
    Sex,
    ShortText,
    Vnd,
)


class _Membership(Command):
    service: ClassVar[str] = "membership"


class EstablishClub(_Membership):
    club_id: UUID = Field(description="UUIDv7 made by the client: a retry names the same club")
    name: ShortText
    admin_unit: Code | None = Field(
        default=None, description="2025 ward code, or <province>:<ward>; or give legacy_address"
    )
    legacy_address: ShortText | None = Field(
        default=None, description="Pre-2025 address: ward, district, province (63-province map)"
    )
    village: ShortText | None = None
    founded_on: date
    founding_project: Code | None = None
    activity_areas: Codes = ()
    meeting_day_of_month: MonthDay | None = None


class ChangeClubStatus(_Membership):
    """Record that the club became dormant, was reactivated, or was dissolved."""

    club_id: UUID
    status: Literal["active", "dormant", "dissolved"]
    changed_on: date
    reason: Note | None = None
    meeting_id: UUID | None = None


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
    womens_union_member: bool | None = None
    ethnic_minority: bool | None = None


class RecordMemberExit(_Membership):
    member_id: UUID
    person_id: UUID
    left_on: date
    reason: LeaveReason
    note: Note | None = None


class UpdateMemberProfile(_Membership):
    person_id: UUID
    full_name: PersonName | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    household_id: UUID | None = None
    village: ShortText | None = None
    id_number: IdNumber | None = Sensitive(default=None)
    phone: Phone | None = Sensitive(default=None)
    cleared: tuple[ProfileField, ...] = ()
    womens_union_member: bool | None = None
    ethnic_minority: bool | None = None


class RecordDisabilityAssessment(_Membership):
    person_id: UUID
    level: DisabilityLevel
    assessed_on: date
    assessed_by: ShortText | None = None
    certificate_no: DocumentRef | None = Sensitive(default=None)


class RecordPovertyCertificate(_Membership):
    household_id: UUID
    club_id: UUID
    status: PovertyStatus
    standard: Code
    valid_from: date
    valid_to: date | None = None
    certificate_no: DocumentRef | None = None
    issued_by: Code | None = None
    person_ids: tuple[UUID, ...] = ()


class ElectBoard(_Membership):
    club_id: UUID
    board_term_id: UUID
    term_starts_on: date
    term_ends_on: date | None = None
    seats: tuple[BoardSeat, ...] = Field(min_length=1)
    meeting_id: UUID | None = None


class HoldMeeting(_Membership):
    meeting_id: UUID
    club_id: UUID
    held_on: date
    kind: MeetingKind = "regular"
    agenda: tuple[ShortText, ...] = ()
    location: ShortText | None = None
    present: tuple[UUID, ...] | None = Field(
        default=None, description="Attendance taken at the meeting, if already known"
    )
    excused: tuple[UUID, ...] = ()
    guests: Count = 0


class RecordAttendance(_Membership):
    meeting_id: UUID
    present: tuple[UUID, ...]
    excused: tuple[UUID, ...] = ()
    guests: Count = 0


class RecordDecision(_Membership):
    meeting_id: UUID
    decision_id: UUID
    kind: DecisionKind
    summary: Note
    subject_id: UUID | None = None
    member_id: UUID | None = None
    amount: Vnd | None = None
    votes_for: Count | None = None
    votes_against: Count | None = None


class RegisterVolunteer(_Membership):
    volunteer_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName
    registered_on: date
    skills: Codes = ()
    participation_level: ParticipationLevel | None = None
    confidentiality_signed: bool = False
    phone: Phone | None = Sensitive(default=None)


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
    ChangeClubStatus,
    AdmitMember,
    RecordMemberExit,
    UpdateMemberProfile,
    RecordDisabilityAssessment,
    RecordPovertyCertificate,
    ElectBoard,
    HoldMeeting,
    RecordAttendance,
    RecordDecision,
    RegisterVolunteer,
    RecordConsent,
    WithdrawConsent,
)
