"""Person (stream type "member", one stream per person): profile, memberships, disability,
consents. Holding every membership of a person in one stream is what makes "one active
membership per person per club" (and one ISHC per person) a check on one consistent state."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.errors import AlreadyExists, InvalidState, NotInScope
from ishc_contracts.membership.commands import (
    AdmitMember,
    RecordConsent,
    RecordDisabilityAssessment,
    RecordMemberExit,
    UpdateMemberProfile,
    WithdrawConsent,
)
from ishc_contracts.membership.events import (
    ConsentGiven,
    ConsentWithdrawn,
    DisabilityLevelRecorded,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
)
from membership.domain import rules
from membership.domain.club import Club, require_club
from membership.domain.errors import DuplicateAdmission, InvalidDate, NotAMember


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: UUID
    club_id: UUID
    joined_on: date
    left_on: date | None = None

    @property
    def active(self) -> bool:
        return self.left_on is None


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True)

    club_id: UUID
    purpose: str
    given_on: date
    withdrawn_on: date | None = None


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    full_name: str = ""
    birth_date: date | None = None
    memberships: tuple[Membership, ...] = ()
    consents: dict[UUID, Consent] = {}

    @property
    def known(self) -> bool:
        return bool(self.memberships)

    def membership(self, member_id: UUID) -> Membership | None:
        return next((m for m in self.memberships if m.member_id == member_id), None)

    @property
    def current(self) -> Membership:
        """The active membership, else the latest: where profile facts are filed."""
        active = [m for m in self.memberships if m.active]
        return (active or list(self.memberships))[-1]


def evolve(state: Person, event: Event) -> Person:
    match event:
        case MemberJoined():
            joined = Membership(
                member_id=event.member_id, club_id=event.club_id, joined_on=event.joined_on
            )
            return state.model_copy(
                update={
                    "full_name": event.full_name,
                    "birth_date": event.birth_date or state.birth_date,
                    "memberships": (*state.memberships, joined),
                }
            )
        case MemberLeft():
            memberships = tuple(
                m.model_copy(update={"left_on": event.left_on})
                if m.member_id == event.member_id
                else m
                for m in state.memberships
            )
            return state.model_copy(update={"memberships": memberships})
        case MemberProfileUpdated():
            birth = None if "birth_date" in event.cleared else event.birth_date or state.birth_date
            return state.model_copy(
                update={"full_name": event.full_name or state.full_name, "birth_date": birth}
            )
        case ConsentGiven():
            consent = Consent(club_id=event.club_id, purpose=event.purpose, given_on=event.given_on)
            return state.model_copy(
                update={"consents": {**state.consents, event.consent_id: consent}}
            )
        case ConsentWithdrawn():
            withdrawn = state.consents[event.consent_id].model_copy(
                update={"withdrawn_on": event.withdrawn_on}
            )
            return state.model_copy(
                update={"consents": {**state.consents, event.consent_id: withdrawn}}
            )
    return state


def admit_member(club: Club, person: Person, cmd: AdmitMember, today: date) -> list[Event]:
    require_club(club, cmd.club_id)
    if cmd.birth_date is not None and cmd.birth_date > today:
        raise InvalidDate(f"birth_date {cmd.birth_date} is in the future", field="birth_date")
    if cmd.joined_on > today:
        raise InvalidDate(f"joined_on {cmd.joined_on} is in the future", field="joined_on")
    if club.founded_on is not None and cmd.joined_on < club.founded_on:
        raise InvalidDate(
            f"joined_on {cmd.joined_on} is before the club was founded ({club.founded_on})",
            field="joined_on",
        )
    if cmd.birth_date is not None and cmd.joined_on < cmd.birth_date:
        raise InvalidDate("joined_on is before birth_date", field="joined_on")
    if person.membership(cmd.member_id) is not None:
        raise AlreadyExists(f"membership {cmd.member_id} exists", field="member_id")
    for held in person.memberships:
        if held.active and held.club_id == cmd.club_id:
            raise DuplicateAdmission(
                f"person {cmd.person_id} is already a member of this club ({held.member_id})",
                field="person_id",
            )
        if held.active and rules.ONE_CLUB_PER_PERSON:
            raise DuplicateAdmission(
                # Which club is not this club's business (issue #18): only that there is one.
                f"person {cmd.person_id} is an active member of another club; "
                "a person belongs to one ISHC at a time",
                field="club_id",
            )
    return [MemberJoined(**cmd.model_dump())]


def record_exit(person: Person, cmd: RecordMemberExit, today: date) -> list[Event]:
    held = person.membership(cmd.member_id)
    if held is None:
        raise NotAMember(f"no membership {cmd.member_id} for this person", field="member_id")
    if not held.active:
        raise InvalidState(f"membership ended on {held.left_on}", field="member_id")
    if cmd.left_on < held.joined_on:
        raise InvalidDate(
            f"left_on {cmd.left_on} is before joined_on {held.joined_on}", field="left_on"
        )
    if cmd.left_on > today:
        raise InvalidDate(f"left_on {cmd.left_on} is in the future", field="left_on")
    return [
        MemberLeft(
            member_id=cmd.member_id,
            club_id=held.club_id,
            person_id=cmd.person_id,
            left_on=cmd.left_on,
            reason=cmd.reason,
            note=cmd.note,
        )
    ]


def update_profile(person: Person, cmd: UpdateMemberProfile, today: date) -> list[Event]:
    _require_person(person, cmd.person_id)
    if cmd.birth_date is not None and cmd.birth_date > today:
        raise InvalidDate(f"birth_date {cmd.birth_date} is in the future", field="birth_date")
    changes = cmd.model_dump(exclude={"person_id"}, exclude_defaults=True)
    if not changes:
        raise InvalidState("nothing to change", field="person_id")
    held = person.current
    return [MemberProfileUpdated(member_id=held.member_id, club_id=held.club_id, **changes)]


def record_disability(person: Person, cmd: RecordDisabilityAssessment, today: date) -> list[Event]:
    _require_person(person, cmd.person_id)
    if cmd.assessed_on > today:
        raise InvalidDate(f"assessed_on {cmd.assessed_on} is in the future", field="assessed_on")
    held = person.current
    return [
        DisabilityLevelRecorded(
            member_id=held.member_id,
            club_id=held.club_id,
            **cmd.model_dump(),
        )
    ]


def record_consent(person: Person, cmd: RecordConsent, today: date) -> list[Event]:
    _require_person(person, cmd.person_id)
    if cmd.consent_id in person.consents:
        raise AlreadyExists(f"consent {cmd.consent_id} is recorded", field="consent_id")
    if cmd.given_on > today:
        raise InvalidDate(f"given_on {cmd.given_on} is in the future", field="given_on")
    return [ConsentGiven(**cmd.model_dump())]


def withdraw_consent(
    person: Person, cmd: WithdrawConsent, today: date, acting_for: UUID | None = None
) -> list[Event]:
    """`acting_for`: the club the request acts for (None: the system or a national role).
    A consent is withdrawn by the club that recorded it: another club of the same person
    gets the same answer as for no such consent."""
    consent = person.consents.get(cmd.consent_id)
    if consent is None or (acting_for is not None and consent.club_id != acting_for):
        raise NotInScope(field="consent_id")
    if consent.withdrawn_on is not None:
        raise InvalidState(f"withdrawn on {consent.withdrawn_on}", field="consent_id")
    if cmd.withdrawn_on < consent.given_on or cmd.withdrawn_on > today:
        raise InvalidDate(
            f"withdrawn_on must be between {consent.given_on} and today", field="withdrawn_on"
        )
    return [
        ConsentWithdrawn(
            consent_id=cmd.consent_id,
            person_id=cmd.person_id,
            club_id=consent.club_id,
            purpose=consent.purpose,
            withdrawn_on=cmd.withdrawn_on,
            method=cmd.method,
        )
    ]


def _require_person(person: Person, person_id: UUID) -> None:
    if not person.known:
        raise NotAMember(f"person {person_id} has never been a member", field="person_id")
