"""membership_attendance: meetings, who was present or excused, the members expected on
each meeting day (membership dates), and the decisions taken."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection
from membership.projections.common import tracked

NAME = "membership_attendance"
STREAMS = "membership_attendance_streams"
TABLES = [
    "membership_attendance_meetings",
    "membership_attendance_marks",
    "membership_attendance_members",
    "membership_attendance_decisions",
    STREAMS,
]


def attendance_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = tracked(projection, STREAMS)

    @on(e.MemberJoined)
    async def joined(conn: Connection, env: EventEnvelope, ev: e.MemberJoined) -> None:
        await conn.execute(
            "INSERT INTO membership_attendance_members (member_id, club_id, joined_on)"
            " VALUES ($1, $2, $3)",
            ev.member_id, ev.club_id, ev.joined_on,
        )  # fmt: skip

    @on(e.MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, ev: e.MemberLeft) -> None:
        await conn.execute(
            "UPDATE membership_attendance_members SET left_on = $2 WHERE member_id = $1",
            ev.member_id, ev.left_on,
        )  # fmt: skip

    @on(e.MeetingHeld)
    async def held(conn: Connection, env: EventEnvelope, ev: e.MeetingHeld) -> None:
        await conn.execute(
            "INSERT INTO membership_attendance_meetings (meeting_id, club_id, held_on, kind)"
            " VALUES ($1, $2, $3, $4)",
            ev.meeting_id, ev.club_id, ev.held_on, ev.kind,
        )  # fmt: skip

    @on(e.AttendanceRecorded)
    async def attendance(conn: Connection, env: EventEnvelope, ev: e.AttendanceRecorded) -> None:
        # A new list replaces the earlier one for the meeting (the event's contract).
        await conn.execute(
            "DELETE FROM membership_attendance_marks WHERE meeting_id = $1", ev.meeting_id
        )
        marks = [(ev.meeting_id, m, "present") for m in ev.present]
        marks += [(ev.meeting_id, m, "excused") for m in ev.excused]
        await conn.executemany("INSERT INTO membership_attendance_marks VALUES ($1, $2, $3)", marks)
        await conn.execute(
            "UPDATE membership_attendance_meetings SET guests = $2 WHERE meeting_id = $1",
            ev.meeting_id, ev.guests,
        )  # fmt: skip

    @on(e.MeetingDecisionRecorded)
    async def decision(conn: Connection, env: EventEnvelope, ev: e.MeetingDecisionRecorded) -> None:
        await conn.execute(
            "INSERT INTO membership_attendance_decisions VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            ev.decision_id, ev.meeting_id, ev.club_id, ev.kind, ev.summary, ev.member_id,
            ev.subject_id, ev.amount,
        )  # fmt: skip

    return projection
