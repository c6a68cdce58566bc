"""Membership events: clubs, members, households, governance, volunteers, consent (domain A1).

Ids are UUIDv7 made where the fact is first recorded (often a device offline), so a retried
upload carries the same id. `member_id` names a person's membership of one club;
`person_id` names the person across services (care and advocacy also serve non-members).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import ERASED_TEXT, Event, Payload, Sensitive
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

LeaveReason = Literal["moved", "died", "withdrew", "expelled"]
PovertyStatus = Literal["poor", "near_poor", "escaped", "none"]
DisabilityLevel = Literal["mild", "severe", "especially_severe"]
ConsentMethod = Literal["written", "verbal", "thumbprint", "digital"]


class _Membership(Event):
    service: ClassVar[str] = "membership"


AdminScheme = Literal["legacy_63", "2025_34"]


class AdminUnitPeriod(Payload):
    """Where a club sat in one admin map, and for which dates (the map changed 1 Jul 2025)."""

    scheme: AdminScheme = Field(description="legacy_63: with districts; 2025_34: two tiers")
    province_code: Code
    province_name: ShortText
    district_code: Code | None = None
    district_name: ShortText | None = None
    ward_code: Code
    ward_name: ShortText
    valid_from: date | None = None
    valid_to: date | None = Field(default=None, description="Last day in force (inclusive)")


class ClubEstablished(_Membership):
    """A club was founded at its launch meeting (establishment decision announced)."""

    aggregate: ClassVar[str] = "club"

    club_id: UUID
    name: ShortText
    admin_unit: Code = Field(
        description="Current unit as <province>:<ward> code, effective-dated reference data"
    )
    admin_unit_history: tuple[AdminUnitPeriod, ...] = Field(
        default=(), description="The club's unit in each admin map, legacy and 2025, dated"
    )
    village: ShortText | None = None
    founded_on: date
    founding_project: Code | None = Field(default=None, description="e.g. VIE071, de_an_1336")
    activity_areas: Codes = Field(default=(), description="Codes from the activity-area list")
    meeting_day_of_month: MonthDay | None = None


class ClubStatusChanged(_Membership):
    """A club went dormant, came back to life, or was dissolved (decided at a meeting)."""

    aggregate: ClassVar[str] = "club"

    club_id: UUID
    status: Literal["active", "dormant", "dissolved"]
    changed_on: date
    reason: Note | None = None
    meeting_id: UUID | None = None


class CharterAdopted(_Membership):
    """The club adopted (a new version of) its charter, the quy chế."""

    aggregate: ClassVar[str] = "club"

    club_id: UUID
    charter_version: int = Field(ge=1)
    adopted_on: date
    meeting_id: UUID | None = None
    meeting_day_of_month: MonthDay | None = None
    board_term_years: int | None = Field(default=None, ge=1, le=10)
    document: DocumentRef | None = None


class MemberJoined(_Membership):
    """A person became a member of a club."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "member"

    member_id: UUID
    club_id: UUID
    person_id: UUID
    household_id: UUID | None = None
    full_name: PersonName = Sensitive("identity", erased=ERASED_TEXT)
    sex: Sex
    birth_date: date | None = Sensitive("identity", default=None)
    village: ShortText | None = None
    joined_on: date
    id_number: IdNumber | None = Sensitive(
        "identity", default=None, description="CCCD / citizen ID"
    )
    phone: Phone | None = Sensitive("contact", default=None)
    womens_union_member: bool | None = Field(default=None, description="Hội Phụ nữ member")
    ethnic_minority: bool | None = Sensitive(
        "ethnicity", default=None, description="dân tộc thiểu số"
    )


class MemberLeft(_Membership):
    """A membership ended. `died` is consumed by finance (loans) and advocacy (funeral support)."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "member"

    member_id: UUID
    club_id: UUID
    person_id: UUID
    left_on: date
    reason: LeaveReason
    note: Note | None = Sensitive("notes", default=None)


ProfileField = Literal["household_id", "birth_date", "village", "id_number", "phone"]
# Category flags live on the membership record: they are independent of one another.


class MemberProfileUpdated(_Membership):
    """Profile details changed. A field left `None` is unchanged; `cleared` lists removed ones."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "member"

    member_id: UUID
    club_id: UUID
    full_name: PersonName | None = Sensitive("identity", default=None)
    sex: Sex | None = None
    birth_date: date | None = Sensitive("identity", default=None)
    household_id: UUID | None = None
    village: ShortText | None = None
    id_number: IdNumber | None = Sensitive("identity", default=None)
    phone: Phone | None = Sensitive("contact", default=None)
    cleared: tuple[ProfileField, ...] = ()
    womens_union_member: bool | None = None
    ethnic_minority: bool | None = Sensitive("ethnicity", default=None)


class HouseholdPovertyStatusRecorded(_Membership):
    """A household's certified poverty status for a period (Decision 24/2021 review)."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "household"

    household_id: UUID
    club_id: UUID
    status: PovertyStatus | None = Sensitive(
        "poverty", default=None, description="None only once the household's key is destroyed"
    )
    standard: Code = Field(description="Poverty standard, e.g. 2022-2025")
    valid_from: date
    valid_to: date | None = None
    certificate_no: DocumentRef | None = Sensitive("poverty", default=None)
    issued_by: Code | None = Field(default=None, description="Issuing commune code")
    person_ids: tuple[UUID, ...] = Field(default=(), description="Household members known here")


class DisabilityLevelRecorded(_Membership):
    """A disability assessment was recorded for a member."""

    aggregate: ClassVar[str] = "member"

    member_id: UUID
    club_id: UUID
    person_id: UUID
    level: DisabilityLevel | None = Sensitive("disability", default=None)
    assessed_on: date
    assessed_by: ShortText | None = None
    certificate_no: DocumentRef | None = Sensitive("disability", default=None)


class BoardSeat(Payload):
    member_id: UUID
    role: Code = Field(description="chair, vice_chair, bookkeeper, treasurer, subgroup_leader, ...")


class BoardElected(_Membership):
    """A board (Ban Chủ nhiệm) was elected for a term."""

    aggregate: ClassVar[str] = "club"

    club_id: UUID
    board_term_id: UUID
    term_starts_on: date
    term_ends_on: date | None = None
    seats: tuple[BoardSeat, ...] = Field(min_length=1)
    meeting_id: UUID | None = None


MeetingKind = Literal["regular", "extraordinary", "founding", "general_assembly"]


class MeetingHeld(_Membership):
    """A club meeting took place (monthly, on the charter's fixed day, or extraordinary)."""

    aggregate: ClassVar[str] = "meeting"

    meeting_id: UUID
    club_id: UUID
    held_on: date
    kind: MeetingKind = "regular"
    agenda: tuple[ShortText, ...] = ()
    location: ShortText | None = None


class AttendanceRecorded(_Membership):
    """Who attended a meeting (replaces any earlier attendance list for it)."""

    aggregate: ClassVar[str] = "meeting"

    meeting_id: UUID
    club_id: UUID
    present: tuple[UUID, ...] = Field(description="member_ids present")
    excused: tuple[UUID, ...] = ()
    guests: Count = 0


DecisionKind = Literal[
    "loan_approval",
    "loan_write_off",
    "mutual_aid_grant",
    "charter_change",
    "board_election",
    "other",
]


class MeetingDecisionRecorded(_Membership):
    """A decision taken at a meeting: loans and aid in finance need one (domain A2)."""

    aggregate: ClassVar[str] = "meeting"

    meeting_id: UUID
    club_id: UUID
    decision_id: UUID
    kind: DecisionKind
    summary: Note
    subject_id: UUID | None = Field(default=None, description="loan, grant or member concerned")
    member_id: UUID | None = Field(default=None, description="Member the decision concerns")
    amount: Vnd | None = Field(default=None, description="VND approved, granted or written off")
    votes_for: Count | None = None
    votes_against: Count | None = None


ParticipationLevel = Literal["consulted", "decision_making", "self_initiated"]


class VolunteerRegistered(_Membership):
    """A person registered as a (home-care or community) volunteer of a club."""

    schema_version: ClassVar[int] = 2

    aggregate: ClassVar[str] = "volunteer"

    volunteer_id: UUID
    club_id: UUID
    person_id: UUID
    member_id: UUID | None = None
    full_name: PersonName = Sensitive("identity", erased=ERASED_TEXT)
    registered_on: date
    skills: Codes = ()
    participation_level: ParticipationLevel | None = None
    confidentiality_signed: bool = False
    phone: Phone | None = Sensitive("contact", default=None)


class ConsentGiven(_Membership):
    """A person (or guardian) consented to a use of their data, e.g. health records."""

    # The person's stream is the member stream (member-<person_id>): one stream per person.
    aggregate: ClassVar[str] = "member"

    consent_id: UUID
    person_id: UUID
    club_id: UUID
    purpose: Code = Field(description="e.g. health_data, photos, share_with_commune")
    given_on: date
    method: ConsentMethod
    given_by: Literal["self", "guardian"] = "self"
    document: DocumentRef | None = None


class ConsentWithdrawn(_Membership):
    """A person withdrew a consent; later uses for that purpose must stop."""

    aggregate: ClassVar[str] = "member"

    consent_id: UUID
    person_id: UUID
    club_id: UUID
    purpose: Code
    withdrawn_on: date
    method: ConsentMethod


EVENTS: tuple[type[Event], ...] = (
    ClubEstablished,
    CharterAdopted,
    ClubStatusChanged,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
    HouseholdPovertyStatusRecorded,
    DisabilityLevelRecorded,
    BoardElected,
    MeetingHeld,
    AttendanceRecorded,
    MeetingDecisionRecorded,
    VolunteerRegistered,
    ConsentGiven,
    ConsentWithdrawn,
)
