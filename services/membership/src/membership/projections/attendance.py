"""membership_attendance: meetings, who was present or excused, the members expected on
each meeting day (membership dates), and the decisions taken."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.projections import Projection, Write

NAME = "membership_attendance"
TABLES = [
    "membership_attendance_meetings",
    "membership_attendance_marks",
    "membership_attendance_members",
    "membership_attendance_decisions",
]


def attendance_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = projection.writes

    @on(e.MemberJoined, opens=())
    def joined(env: EventEnvelope, ev: e.MemberJoined) -> list[Write]:
        sql = (
            "INSERT INTO membership_attendance_members (member_id, club_id, joined_on)"
            " VALUES ($1, $2, $3)"
        )
        return [Write(sql, (ev.member_id, ev.club_id, ev.joined_on))]

    @on(e.MemberLeft, opens=())
    def left(env: EventEnvelope, ev: e.MemberLeft) -> list[Write]:
        sql = "UPDATE membership_attendance_members SET left_on = $2 WHERE member_id = $1"
        return [Write(sql, (ev.member_id, ev.left_on))]

    @on(e.MeetingHeld)
    def held(env: EventEnvelope, ev: e.MeetingHeld) -> list[Write]:
        sql = (
            "INSERT INTO membership_attendance_meetings (meeting_id, club_id, held_on, kind)"
            " VALUES ($1, $2, $3, $4)"
        )
        return [Write(sql, (ev.meeting_id, ev.club_id, ev.held_on, ev.kind))]

    @on(e.AttendanceRecorded)
    def attendance(env: EventEnvelope, ev: e.AttendanceRecorded) -> list[Write]:
        # A new list replaces the earlier one for the meeting (the event's contract); the
        # marks go in one statement (unnest), whatever the number of members.
        members = [*ev.present, *ev.excused]
        marks = ["present"] * len(ev.present) + ["excused"] * len(ev.excused)
        return [
            Write(
                "DELETE FROM membership_attendance_marks WHERE meeting_id = $1", (ev.meeting_id,)
            ),
            Write(
                "INSERT INTO membership_attendance_marks (meeting_id, member_id, mark)"
                " SELECT $1, m, k FROM unnest($2::uuid[], $3::text[]) AS u(m, k)",
                (ev.meeting_id, members, marks),
            ),
            Write(
                "UPDATE membership_attendance_meetings SET guests = $2 WHERE meeting_id = $1",
                (ev.meeting_id, ev.guests),
            ),
        ]

    @on(e.MeetingDecisionRecorded)
    def decision(env: EventEnvelope, ev: e.MeetingDecisionRecorded) -> list[Write]:
        args = (
            ev.decision_id, ev.meeting_id, ev.club_id, ev.kind, ev.summary, ev.member_id,
            ev.subject_id, ev.amount,
        )  # fmt: skip
        sql = "INSERT INTO membership_attendance_decisions VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        return [Write(sql, args)]

    return projection
