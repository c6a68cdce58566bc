"""`care_checkups`: care's own view of members (age, club) and of recorded health checks,
for annual check-up coverage of members aged 60 or more. Built from membership events on the
bus; care never reads membership's tables."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.care.events import HealthCheckRecorded
from ishc_contracts.membership.events import MemberJoined, MemberLeft, MemberProfileUpdated
from ishc_runtime.privacy import keep, keep_text
from ishc_runtime.projections import Projection, Write

TABLES = ["care_members", "care_health_checks"]


def checkups_projection() -> Projection:
    projection = Projection(
        name="care_checkups", sources=["membership", "care"], policy="park", tables=TABLES
    )

    # Names and birth dates are kept as the events' ciphertext (membership's key, under its
    # grant), never opened here: no key is even fetched for these events.
    @projection.writes(MemberJoined, opens=())
    def joined(env: EventEnvelope, e: MemberJoined) -> list[Write]:
        sql = (
            "INSERT INTO care_members (member_id, person_id, club_id, full_name, birth_date)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (member_id) DO NOTHING"
        )
        args = (
            e.member_id, e.person_id, e.club_id, keep(env, "full_name"),
            keep_text(env, "birth_date"),
        )  # fmt: skip
        return [Write(sql, args)]

    @projection.writes(MemberProfileUpdated, opens=())
    def updated(env: EventEnvelope, e: MemberProfileUpdated) -> list[Write]:
        sql = (
            "UPDATE care_members SET full_name = coalesce($2, full_name),"
            " birth_date = CASE WHEN $4 THEN NULL ELSE coalesce($3, birth_date) END"
            " WHERE member_id = $1"
        )
        args = (
            e.member_id, keep(env, "full_name"),
            keep_text(env, "birth_date"), "birth_date" in e.cleared,
        )  # fmt: skip
        return [Write(sql, args)]

    projection.row(
        MemberLeft,
        "UPDATE care_members SET active = false WHERE member_id = $1",
        lambda e: (e.member_id,),
        opens=(),
    )

    projection.row(
        HealthCheckRecorded,
        "INSERT INTO care_health_checks (check_id, person_id, club_id, checked_on)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (check_id) DO NOTHING",
        lambda e: (e.check_id, e.person_id, e.club_id, e.checked_on),
        opens=(),
    )

    return projection
