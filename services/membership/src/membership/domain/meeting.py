"""Meeting: date, attendance, decisions. Decisions carry a decision_id that finance cites
when it disburses a loan, writes one off or pays a mutual-aid grant."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.errors import AlreadyExists, DomainError
from ishc_contracts.membership.commands import HoldMeeting, RecordAttendance, RecordDecision
from ishc_contracts.membership.events import (
    AttendanceRecorded,
    MeetingDecisionRecorded,
    MeetingHeld,
)
from membership.domain import rules
from membership.domain.club import Club, require_club
from membership.domain.errors import DecisionIncomplete, InvalidDate, UnknownMeeting


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    held: bool = False
    club_id: UUID | None = None
    held_on: date | None = None
    decision_ids: tuple[UUID, ...] = ()


def evolve(state: Meeting, event: Event) -> Meeting:
    match event:
        case MeetingHeld():
            return state.model_copy(
                update={"held": True, "club_id": event.club_id, "held_on": event.held_on}
            )
        case MeetingDecisionRecorded():
            return state.model_copy(
                update={"decision_ids": (*state.decision_ids, event.decision_id)}
            )
    return state


def hold_meeting(club: Club, meeting: Meeting, cmd: HoldMeeting, today: date) -> list[Event]:
    require_club(club, cmd.club_id)
    if meeting.held:
        raise AlreadyExists(f"meeting {cmd.meeting_id} is recorded", field="meeting_id")
    if cmd.held_on > today:
        raise InvalidDate(f"held_on {cmd.held_on} is in the future", field="held_on")
    if club.founded_on is not None and cmd.held_on < club.founded_on:
        raise InvalidDate("held_on is before the club was founded", field="held_on")
    held: list[Event] = [
        MeetingHeld(
            meeting_id=cmd.meeting_id,
            club_id=cmd.club_id,
            held_on=cmd.held_on,
            kind=cmd.kind,
            agenda=cmd.agenda,
            location=cmd.location,
        )
    ]
    if cmd.present is not None:
        held += _attendance(cmd.meeting_id, cmd.club_id, cmd.present, cmd.excused, cmd.guests)
    return held


def record_attendance(meeting: Meeting, cmd: RecordAttendance) -> list[Event]:
    club_id = _require_meeting(meeting, cmd.meeting_id)
    return _attendance(cmd.meeting_id, club_id, cmd.present, cmd.excused, cmd.guests)


def record_decision(meeting: Meeting, cmd: RecordDecision) -> list[Event]:
    club_id = _require_meeting(meeting, cmd.meeting_id)
    if cmd.decision_id in meeting.decision_ids:
        raise AlreadyExists(f"decision {cmd.decision_id} is recorded", field="decision_id")
    if cmd.kind in rules.DECISIONS_WITH_AMOUNT and cmd.amount is None:
        raise DecisionIncomplete(f"a {cmd.kind} decision needs the amount", field="amount")
    return [MeetingDecisionRecorded(club_id=club_id, **cmd.model_dump())]


def _attendance(
    meeting_id: UUID,
    club_id: UUID,
    present: tuple[UUID, ...],
    excused: tuple[UUID, ...],
    guests: int,
) -> list[Event]:
    if len(set(present)) != len(present):
        raise DomainError("a member is listed twice as present", field="present")
    both = set(present) & set(excused)
    if both:
        raise DomainError(f"present and excused at once: {sorted(map(str, both))}", field="excused")
    return [
        AttendanceRecorded(
            meeting_id=meeting_id, club_id=club_id, present=present, excused=excused, guests=guests
        )
    ]


def _require_meeting(meeting: Meeting, meeting_id: UUID) -> UUID:
    if not meeting.held or meeting.club_id is None:
        raise UnknownMeeting(f"no meeting {meeting_id}", field="meeting_id")
    return meeting.club_id
