"""membership_composition: the facts the composition targets are measured on (sex, birth
date, household, membership dates). Shares and flags are computed by the query for its
reporting date, because "aged 60 or more" changes with the date asked about."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import protect_text
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection
from membership.projections.common import person_of, tracked
from membership.projections.roster import record_poverty

NAME = "membership_composition"
STREAMS = "membership_composition_streams"
TABLES = ["membership_composition_members", "membership_composition_households", STREAMS]


def composition_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = tracked(projection, STREAMS)

    @on(e.MemberJoined)
    async def joined(conn: Connection, env: EventEnvelope, ev: e.MemberJoined) -> None:
        await conn.execute(
            "INSERT INTO membership_composition_members (member_id, person_id, club_id, sex,"
            " birth_date, household_id, joined_on) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            ev.member_id, ev.person_id, ev.club_id, ev.sex,
            protect_text(env, "birth_date", ev.birth_date), ev.household_id,
            ev.joined_on,
        )  # fmt: skip

    @on(e.MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, ev: e.MemberLeft) -> None:
        await conn.execute(
            "UPDATE membership_composition_members SET left_on = $2 WHERE member_id = $1",
            ev.member_id, ev.left_on,
        )  # fmt: skip

    @on(e.MemberProfileUpdated)
    async def profile(conn: Connection, env: EventEnvelope, ev: e.MemberProfileUpdated) -> None:
        person = person_of(env)
        if ev.sex is not None:
            await conn.execute(
                "UPDATE membership_composition_members SET sex = $2 WHERE person_id = $1",
                person, ev.sex,
            )  # fmt: skip
        for field in ("birth_date", "household_id"):
            value = getattr(ev, field)
            if field == "birth_date":
                value = protect_text(env, field, value)
            if value is not None or field in ev.cleared:
                await conn.execute(
                    f"UPDATE membership_composition_members SET {field} = $2"
                    " WHERE person_id = $1",
                    person, value,
                )  # fmt: skip

    @on(e.HouseholdPovertyStatusRecorded)
    async def poverty(
        conn: Connection, env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded
    ) -> None:
        await record_poverty(conn, "membership_composition_households", env, ev)

    return projection
