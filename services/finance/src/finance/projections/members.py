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
from ishc_runtime.projections import Projection, Write

TABLES = ["finance_members", "finance_decisions", "finance_clubs"]


_CLUB = (
    "INSERT INTO finance_clubs (club_id, meeting_day) VALUES ($1, $2)"
    " ON CONFLICT (club_id) DO UPDATE SET meeting_day = EXCLUDED.meeting_day"
)


def members_projection() -> Projection:
    projection = Projection(
        name="finance_members", sources=["membership"], policy="stop", tables=TABLES
    )

    projection.row(
        ClubEstablished,
        _CLUB,
        lambda e: (e.club_id, e.meeting_day_of_month),
    )

    @projection.writes(CharterAdopted)
    def charter(env: EventEnvelope, e: CharterAdopted) -> list[Write]:
        if e.meeting_day_of_month is None:
            return []
        return [Write(_CLUB, (e.club_id, e.meeting_day_of_month))]

    projection.row(
        MemberJoined,
        "INSERT INTO finance_members (member_id, club_id, household_id, status, joined_on)"
        " VALUES ($1, $2, $3, 'active', $4) ON CONFLICT (member_id) DO UPDATE"
        " SET status = 'active', left_on = NULL, left_reason = NULL",
        lambda e: (e.member_id, e.club_id, e.household_id, e.joined_on),
        opens=(),
    )

    projection.row(
        MemberLeft,
        "UPDATE finance_members SET status = 'left', left_on = $2, left_reason = $3"
        " WHERE member_id = $1",
        lambda e: (e.member_id, e.left_on, e.reason),
        opens=(),
    )

    @projection.writes(MemberProfileUpdated, opens=())
    def profile(env: EventEnvelope, e: MemberProfileUpdated) -> list[Write]:
        if e.household_id is None and "household_id" not in e.cleared:
            return []
        # a given household wins over a clearing of it (None when cleared)
        sql = "UPDATE finance_members SET household_id = $2 WHERE member_id = $1"
        return [Write(sql, (e.member_id, e.household_id))]

    projection.row(
        MeetingDecisionRecorded,
        "INSERT INTO finance_decisions (decision_id, meeting_id, club_id, kind, subject_id)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (decision_id) DO NOTHING",
        lambda e: (e.decision_id, e.meeting_id, e.club_id, e.kind, e.subject_id),
    )

    return projection
