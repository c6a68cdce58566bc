"""Membership commands: what the gateway sends over request/reply (domain A1).

A person's stream is `member-<person_id>` (profile, memberships, disability, consents), so
every command about a member names `person_id`: that is how the handler finds the stream.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ishc_contracts.bounds import (
    MAX_ITEMS,
    Amount,
    BirthDate,
    CodeList,
    Day,
    FewIds,
    Headcount,
    LifeDay,
    PeopleIds,
    PlannedDay,
)
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
from ishc_contracts.reference import ReferenceFields
from ishc_contracts.values import (
    Code,
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
    admin_unit: Code | None = Field(
        default=None, description="2025 ward code, or <province>:<ward>; or give legacy_address"
    )
    legacy_address: ShortText | None = Field(
        default=None, description="Pre-2025 address: ward, district, province (63-province map)"
    )
    village: ShortText | None = None
    founded_on: Day
    founding_project: Code | None = None
    activity_areas: CodeList = ()
    meeting_day_of_month: MonthDay | None = None


class ChangeClubStatus(_Membership):
    """Record that the club became dormant, was reactivated, or was dissolved."""

    club_id: UUID
    status: Literal["active", "dormant", "dissolved"]
    changed_on: Day
    reason: Note | None = None
    meeting_id: UUID | None = None


class AdoptCharter(_Membership):
    club_id: UUID
    charter_version: int = Field(ge=1, le=1000)
    adopted_on: Day
    meeting_id: UUID | None = None
    meeting_day_of_month: MonthDay | None = None
    board_term_years: int | None = Field(default=None, ge=1, le=10)
    document: DocumentRef | None = None


class AdmitMember(_Membership):
    member_id: UUID
    club_id: UUID
    person_id: UUID
    household_id: UUID | None = None
    full_name: PersonName = Sensitive("identity")
    sex: Sex
    birth_date: BirthDate | None = Sensitive("identity", default=None)
    village: ShortText | None = None
    joined_on: Day
    id_number: IdNumber | None = Sensitive("identity", default=None)
    phone: Phone | None = Sensitive("contact", default=None)
    womens_union_member: bool | None = None
    ethnic_minority: bool | None = Sensitive("ethnicity", default=None)


class RecordMemberExit(_Membership):
    member_id: UUID
    person_id: UUID
    left_on: Day
    reason: LeaveReason
    note: Note | None = Sensitive("notes", default=None)


class UpdateMemberProfile(_Membership):
    person_id: UUID
    full_name: PersonName | None = Sensitive("identity", default=None)
    sex: Sex | None = None
    birth_date: BirthDate | None = Sensitive("identity", default=None)
    household_id: UUID | None = None
    village: ShortText | None = None
    id_number: IdNumber | None = Sensitive("identity", default=None)
    phone: Phone | None = Sensitive("contact", default=None)
    cleared: tuple[ProfileField, ...] = Field(default=(), max_length=MAX_ITEMS)
    womens_union_member: bool | None = None
    ethnic_minority: bool | None = Sensitive("ethnicity", default=None)


class RecordDisabilityAssessment(_Membership):
    reference_fields: ClassVar[ReferenceFields] = {"level": ("disability_levels", None)}

    person_id: UUID
    level: DisabilityLevel = Sensitive("disability")
    assessed_on: LifeDay
    assessed_by: ShortText | None = None
    certificate_no: DocumentRef | None = Sensitive("disability", default=None)


class RecordPovertyCertificate(_Membership):
    reference_fields: ClassVar[ReferenceFields] = {"standard": ("poverty_standards", "valid_from")}

    household_id: UUID
    club_id: UUID
    status: PovertyStatus = Sensitive("poverty")
    standard: Code
    valid_from: PlannedDay
    valid_to: PlannedDay | None = None
    certificate_no: DocumentRef | None = Sensitive("poverty", default=None)
    issued_by: Code | None = None
    person_ids: FewIds = ()


class ElectBoard(_Membership):
    club_id: UUID
    board_term_id: UUID
    term_starts_on: Day
    term_ends_on: PlannedDay | None = None
    seats: tuple[BoardSeat, ...] = Field(min_length=1, max_length=MAX_ITEMS)
    meeting_id: UUID | None = None


class HoldMeeting(_Membership):
    meeting_id: UUID
    club_id: UUID
    held_on: Day
    kind: MeetingKind = "regular"
    agenda: tuple[ShortText, ...] = Field(default=(), max_length=MAX_ITEMS)
    location: ShortText | None = None
    present: PeopleIds | None = Field(
        default=None, description="Attendance taken at the meeting, if already known"
    )
    excused: PeopleIds = ()
    guests: Headcount = 0


class RecordAttendance(_Membership):
    meeting_id: UUID
    present: PeopleIds
    excused: PeopleIds = ()
    guests: Headcount = 0


class RecordDecision(_Membership):
    meeting_id: UUID
    decision_id: UUID
    kind: DecisionKind
    summary: Note
    subject_id: UUID | None = None
    member_id: UUID | None = None
    amount: Amount | None = None
    votes_for: Headcount | None = None
    votes_against: Headcount | None = None


class RegisterVolunteer(_Membership):
    volunteer_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName = Sensitive("identity")
    registered_on: Day
    skills: CodeList = ()
    participation_level: ParticipationLevel | None = None
    confidentiality_signed: bool = False
    phone: Phone | None = Sensitive("contact", default=None)


class RecordConsent(_Membership):
    # The uses that need consent are a reference list (services check them by code).
    reference_fields: ClassVar[ReferenceFields] = {"purpose": ("consent_purposes", "given_on")}

    consent_id: UUID
    person_id: UUID
    club_id: UUID
    purpose: Code
    given_on: Day
    method: ConsentMethod
    document: DocumentRef | None = None


class WithdrawConsent(_Membership):
    consent_id: UUID
    person_id: UUID
    withdrawn_on: Day
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
