"""Membership's ownership declarations (see `ishc_contracts.ownership`)."""

from __future__ import annotations

from typing import Any

from ishc_contracts.membership import commands as c
from ishc_contracts.membership import events as e
from ishc_contracts.ownership import (
    CLUB,
    CONSENT,
    DECISION,
    HOUSEHOLD,
    MEETING,
    MEMBER,
    NEW_INSIDE_STREAM,
    PERSON,
    VOLUNTEER,
    Grant,
    GrantRule,
    Owned,
    ids_of,
    refs,
    refs_or_new,
    streams,
    unchecked,
    within,
)

OWNED = (
    Owned(c.EstablishClub, {"club_id": within()}),
    Owned(c.AdoptCharter, {"club_id": within(), "meeting_id": refs(MEETING)}),
    Owned(c.ChangeClubStatus, {"club_id": within(), "meeting_id": refs(MEETING)}),
    Owned(
        c.AdmitMember,
        {
            "member_id": refs_or_new(MEMBER),
            "club_id": within(),
            "person_id": unchecked(
                "a person may join a second club where the rules allow it (one ISHC per "
                "person is a setting); the person's rule refuses without naming the other club"
            ),
            "household_id": refs_or_new(HOUSEHOLD),
        },
    ),
    Owned(c.RecordMemberExit, {"member_id": refs(MEMBER), "person_id": streams(PERSON)}),
    Owned(
        c.UpdateMemberProfile,
        {"person_id": streams(PERSON), "household_id": refs_or_new(HOUSEHOLD)},
    ),
    Owned(c.RecordDisabilityAssessment, {"person_id": streams(PERSON)}),
    Owned(
        c.RecordPovertyCertificate,
        {
            "household_id": refs_or_new(HOUSEHOLD),
            "club_id": within(),
            "person_ids[]": refs(PERSON),
        },
    ),
    Owned(
        c.ElectBoard,
        {
            "club_id": within(),
            "board_term_id": unchecked("a new term's id, kept inside the club's own stream"),
            "seats[].member_id": refs(MEMBER),
            "meeting_id": refs(MEETING),
        },
    ),
    Owned(
        c.HoldMeeting,
        {
            "meeting_id": refs_or_new(MEETING),
            "club_id": within(),
            "present[]": refs(MEMBER),
            "excused[]": refs(MEMBER),
        },
    ),
    Owned(
        c.RecordAttendance,
        {"meeting_id": streams(MEETING), "present[]": refs(MEMBER), "excused[]": refs(MEMBER)},
    ),
    Owned(
        c.RecordDecision,
        {
            "meeting_id": streams(MEETING),
            "decision_id": unchecked(NEW_INSIDE_STREAM),
            "subject_id": unchecked(
                "names another service's object (a loan, an asset): that service checks the "
                "decision's club against its own object when the decision is used"
            ),
            "member_id": refs(MEMBER),
        },
    ),
    Owned(
        c.RegisterVolunteer,
        {
            "volunteer_id": refs_or_new(VOLUNTEER),
            "club_id": within(),
            "person_id": refs_or_new(PERSON),  # a volunteer need not be a member
            "member_id": refs(MEMBER),
        },
    ),
    Owned(
        c.RecordConsent,
        {"consent_id": refs_or_new(CONSENT), "person_id": streams(PERSON), "club_id": within()},
    ),
    Owned(c.WithdrawConsent, {"consent_id": refs(CONSENT), "person_id": streams(PERSON)}),
)


def _joined(ev: e.MemberJoined) -> list[Grant]:
    grants = [Grant(PERSON, ev.person_id, ev.club_id), Grant(MEMBER, ev.member_id, ev.club_id)]
    if ev.household_id is not None:
        grants.append(Grant(HOUSEHOLD, ev.household_id, ev.club_id))
    return grants


def _profile(ev: e.MemberProfileUpdated) -> list[Grant]:
    household = getattr(ev, "household_id", None)
    return [Grant(HOUSEHOLD, household, ev.club_id)] if household is not None else []


GRANTS: dict[type[Any], GrantRule] = {
    e.ClubEstablished: lambda ev: [Grant(CLUB, ev.club_id, ev.club_id)],
    e.MemberJoined: _joined,
    # A person belongs to the clubs of their active memberships; the member record stays
    # its club's (history, loans, decisions name it).
    e.MemberLeft: lambda ev: [Grant(PERSON, ev.person_id, ev.club_id, active=False)],
    e.MemberProfileUpdated: _profile,
    e.HouseholdPovertyStatusRecorded: lambda ev: [Grant(HOUSEHOLD, ev.household_id, ev.club_id)],
    e.MeetingHeld: lambda ev: [Grant(MEETING, ev.meeting_id, ev.club_id)],
    e.MeetingDecisionRecorded: lambda ev: [Grant(DECISION, ev.decision_id, ev.club_id)],
    e.VolunteerRegistered: lambda ev: [
        Grant(VOLUNTEER, ev.volunteer_id, ev.club_id),
        *(Grant(PERSON, p, ev.club_id) for p in ids_of([ev.person_id]) if ev.member_id is None),
    ],
    e.ConsentGiven: lambda ev: [Grant(CONSENT, ev.consent_id, ev.club_id)],
}
