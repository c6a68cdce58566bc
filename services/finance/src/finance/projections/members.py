"""Finance's own projection of membership events: members, meeting decisions, meeting days.

Fed over JetStream from membership's stream; finance never reads membership's tables."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import (
    CharterAdopted,
    ClubEstablished,
    MeetingDecisionRecorded,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
)
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection

TABLES = ["finance_members", "finance_decisions", "finance_clubs"]


def members_projection() -> Projection:
    projection = Projection(
        name="finance_members", sources=["membership"], policy="stop", tables=TABLES
    )

    @projection.on(ClubEstablished)
    async def club(conn: Connection, env: EventEnvelope, e: ClubEstablished) -> None:
        await conn.execute(
            "INSERT INTO finance_clubs (club_id, meeting_day) VALUES ($1, $2)"
            " ON CONFLICT (club_id) DO UPDATE SET meeting_day = EXCLUDED.meeting_day",
            e.club_id,
            e.meeting_day_of_month,
        )

    @projection.on(CharterAdopted)
    async def charter(conn: Connection, env: EventEnvelope, e: CharterAdopted) -> None:
        if e.meeting_day_of_month is not None:
            await conn.execute(
                "INSERT INTO finance_clubs (club_id, meeting_day) VALUES ($1, $2)"
                " ON CONFLICT (club_id) DO UPDATE SET meeting_day = EXCLUDED.meeting_day",
                e.club_id,
                e.meeting_day_of_month,
            )

    @projection.on(MemberJoined)
    async def joined(conn: Connection, env: EventEnvelope, e: MemberJoined) -> None:
        await conn.execute(
            "INSERT INTO finance_members (member_id, club_id, household_id, status, joined_on)"
            " VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (member_id) DO UPDATE"
            " SET status = 'active', left_on = NULL, left_reason = NULL",
            e.member_id,
            e.club_id,
            e.household_id,
            e.joined_on,
        )

    @projection.on(MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        await conn.execute(
            "UPDATE finance_members SET status = 'left', left_on = $2, left_reason = $3"
            " WHERE member_id = $1",
            e.member_id,
            e.left_on,
            e.reason,
        )

    @projection.on(MemberProfileUpdated)
    async def profile(conn: Connection, env: EventEnvelope, e: MemberProfileUpdated) -> None:
        if e.household_id is not None:
            await conn.execute(
                "UPDATE finance_members SET household_id = $2 WHERE member_id = $1",
                e.member_id,
                e.household_id,
            )
        elif "household_id" in e.cleared:
            await conn.execute(
                "UPDATE finance_members SET household_id = NULL WHERE member_id = $1", e.member_id
            )

    @projection.on(MeetingDecisionRecorded)
    async def decision(conn: Connection, env: EventEnvelope, e: MeetingDecisionRecorded) -> None:
        await conn.execute(
            "INSERT INTO finance_decisions (decision_id, meeting_id, club_id, kind, subject_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (decision_id) DO NOTHING",
            e.decision_id,
            e.meeting_id,
            e.club_id,
            e.kind,
            e.subject_id,
        )

    return projection
