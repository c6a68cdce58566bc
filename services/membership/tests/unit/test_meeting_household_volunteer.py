"""Meetings (attendance, decisions), household poverty status, volunteers."""

from __future__ import annotations

from datetime import date
from functools import partial
from uuid import UUID

import pytest

from ishc_contracts.errors import AlreadyExists, DomainError
from ishc_contracts.membership.commands import (
    HoldMeeting,
    RecordAttendance,
    RecordDecision,
    RecordPovertyCertificate,
    RegisterVolunteer,
)
from ishc_contracts.membership.events import (
    AttendanceRecorded,
    ClubEstablished,
    HouseholdPovertyStatusRecorded,
    MeetingDecisionRecorded,
    MeetingHeld,
    VolunteerRegistered,
)
from ishc_runtime.testing.specs import spec
from membership.application.aggregates import CLUB, HOUSEHOLD, MEETING, VOLUNTEER
from membership.domain.club import Club
from membership.domain.errors import DecisionIncomplete, InvalidDate, UnknownClub, UnknownMeeting
from membership.domain.household import record_poverty_certificate
from membership.domain.meeting import hold_meeting, record_attendance, record_decision
from membership.domain.volunteer import register_volunteer

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 23)
CLUB_ID, MEETING_ID, HOUSEHOLD_ID = UUID(int=1), UUID(int=2), UUID(int=3)
A, B, C = UUID(int=10), UUID(int=11), UUID(int=12)
CLUB_STATE = spec(CLUB).given(
    ClubEstablished(club_id=CLUB_ID, name="CLB", admin_unit="79:25750",
                    founded_on=date(2025, 9, 1))
).state  # fmt: skip

HOLD = HoldMeeting(meeting_id=MEETING_ID, club_id=CLUB_ID, held_on=date(2026, 11, 21),
                   agenda=("Loans",), present=(A, B), excused=(C,), guests=1)  # fmt: skip
HELD = MeetingHeld(meeting_id=MEETING_ID, club_id=CLUB_ID, held_on=date(2026, 11, 21),
                   agenda=("Loans",))  # fmt: skip


def test_hold_a_meeting_with_its_attendance() -> None:
    spec(MEETING).when(lambda s: hold_meeting(CLUB_STATE, s, HOLD, TODAY)).then(
        HELD,
        AttendanceRecorded(meeting_id=MEETING_ID, club_id=CLUB_ID, present=(A, B), excused=(C,),
                           guests=1),
    )  # fmt: skip


def test_hold_a_meeting_without_attendance_yet() -> None:
    bare = HOLD.model_copy(update={"present": None, "excused": (), "guests": 0})
    spec(MEETING).when(lambda s: hold_meeting(CLUB_STATE, s, bare, TODAY)).then(HELD)


def test_meeting_refusals() -> None:
    spec(MEETING).when(lambda s: hold_meeting(Club(), s, HOLD, TODAY)).then_raises(
        UnknownClub, field="club_id"
    )
    spec(MEETING).given(HELD).when(lambda s: hold_meeting(CLUB_STATE, s, HOLD, TODAY)).then_raises(
        AlreadyExists, field="meeting_id"
    )
    for held_on in (date(2027, 1, 1), date(2025, 1, 1)):
        odd = HOLD.model_copy(update={"held_on": held_on})
        spec(MEETING).when(partial(hold_meeting, CLUB_STATE, cmd=odd, today=TODAY)).then_raises(
            InvalidDate, field="held_on"
        )
    both = HOLD.model_copy(update={"excused": (A,)})
    spec(MEETING).when(lambda s: hold_meeting(CLUB_STATE, s, both, TODAY)).then_raises(
        DomainError, field="excused"
    )


def test_record_attendance_later() -> None:
    cmd = RecordAttendance(meeting_id=MEETING_ID, present=(A,))
    spec(MEETING).given(HELD).when(lambda s: record_attendance(s, cmd)).then(
        AttendanceRecorded(meeting_id=MEETING_ID, club_id=CLUB_ID, present=(A,))
    )


def test_attendance_refusals() -> None:
    cmd = RecordAttendance(meeting_id=MEETING_ID, present=(A,))
    spec(MEETING).when(lambda s: record_attendance(s, cmd)).then_raises(
        UnknownMeeting, field="meeting_id"
    )
    twice = RecordAttendance(meeting_id=MEETING_ID, present=(A, A))
    spec(MEETING).given(HELD).when(lambda s: record_attendance(s, twice)).then_raises(
        DomainError, field="present"
    )


LOAN = RecordDecision(meeting_id=MEETING_ID, decision_id=UUID(int=40), kind="loan_approval",
                      summary="5m VND for a breeding pig", member_id=A, amount=5_000_000,
                      votes_for=41)  # fmt: skip


def test_record_a_loan_approval_finance_can_project() -> None:
    spec(MEETING).given(HELD).when(lambda s: record_decision(s, LOAN)).then(
        MeetingDecisionRecorded(club_id=CLUB_ID, **LOAN.model_dump())
    ).then_state(lambda s: s.decision_ids == (UUID(int=40),))


def test_decision_refusals() -> None:
    spec(MEETING).when(lambda s: record_decision(s, LOAN)).then_raises(
        UnknownMeeting, field="meeting_id"
    )
    recorded = MeetingDecisionRecorded(club_id=CLUB_ID, **LOAN.model_dump())
    spec(MEETING).given(HELD, recorded).when(lambda s: record_decision(s, LOAN)).then_raises(
        AlreadyExists, field="decision_id"
    )
    no_amount = LOAN.model_copy(update={"amount": None})
    spec(MEETING).given(HELD).when(lambda s: record_decision(s, no_amount)).then_raises(
        DecisionIncomplete, field="amount"
    )


def test_a_charter_change_needs_no_amount() -> None:
    change = RecordDecision(meeting_id=MEETING_ID, decision_id=UUID(int=41),
                            kind="charter_change", summary="Meet on the 17th")  # fmt: skip
    spec(MEETING).given(HELD).when(lambda s: record_decision(s, change)).then(
        MeetingDecisionRecorded(club_id=CLUB_ID, **change.model_dump())
    )


POOR = RecordPovertyCertificate(household_id=HOUSEHOLD_ID, club_id=CLUB_ID, status="poor",
                                standard="2022-2025", valid_from=date(2026, 1, 1),
                                valid_to=date(2026, 12, 31), certificate_no="HN-12")  # fmt: skip


def test_record_a_poverty_certificate_and_read_the_status_on_a_date() -> None:
    spec(HOUSEHOLD).when(lambda s: record_poverty_certificate(CLUB_STATE, s, POOR)).then(
        HouseholdPovertyStatusRecorded(**POOR.model_dump())
    ).then_state(
        lambda s: s.status_on(date(2026, 6, 1)) == "poor" and s.status_on(date(2027, 1, 1)) is None
    )


def test_poverty_refusals() -> None:
    spec(HOUSEHOLD).when(lambda s: record_poverty_certificate(Club(), s, POOR)).then_raises(
        UnknownClub, field="club_id"
    )
    backwards = POOR.model_copy(update={"valid_to": date(2025, 1, 1)})
    spec(HOUSEHOLD).when(
        lambda s: record_poverty_certificate(CLUB_STATE, s, backwards)
    ).then_raises(InvalidDate, field="valid_to")
    spec(HOUSEHOLD).given(HouseholdPovertyStatusRecorded(**POOR.model_dump())).when(
        lambda s: record_poverty_certificate(CLUB_STATE, s, POOR)
    ).then_raises(AlreadyExists, field="certificate_no")


VOLUNTEER_CMD = RegisterVolunteer(volunteer_id=UUID(int=50), club_id=CLUB_ID, person_id=A,
                                  member_id=UUID(int=51), full_name="Lê Văn Hùng",
                                  registered_on=date(2026, 2, 1), skills=("massage",),
                                  participation_level="decision_making",
                                  confidentiality_signed=True)  # fmt: skip


def test_register_a_volunteer() -> None:
    spec(VOLUNTEER).when(lambda s: register_volunteer(CLUB_STATE, s, VOLUNTEER_CMD, TODAY)).then(
        VolunteerRegistered(**VOLUNTEER_CMD.model_dump())
    )


def test_volunteer_refusals() -> None:
    spec(VOLUNTEER).when(lambda s: register_volunteer(Club(), s, VOLUNTEER_CMD, TODAY)).then_raises(
        UnknownClub, field="club_id"
    )
    spec(VOLUNTEER).given(VolunteerRegistered(**VOLUNTEER_CMD.model_dump())).when(
        lambda s: register_volunteer(CLUB_STATE, s, VOLUNTEER_CMD, TODAY)
    ).then_raises(AlreadyExists, field="volunteer_id")
    later = VOLUNTEER_CMD.model_copy(update={"registered_on": date(2027, 1, 1)})
    spec(VOLUNTEER).when(lambda s: register_volunteer(CLUB_STATE, s, later, TODAY)).then_raises(
        InvalidDate, field="registered_on"
    )
