"""membership_composition: the facts the composition targets are measured on (sex, birth
date, household, membership dates). Shares and flags are computed by the query for its
reporting date, because "aged 60 or more" changes with the date asked about."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import keep_text
from ishc_runtime.projections import Projection, Write, entity_id
from membership.projections.profile_columns import holds_value
from membership.projections.roster import record_poverty

NAME = "membership_composition"
TABLES = ["membership_composition_members", "membership_composition_households"]


def composition_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = projection.writes

    @on(e.MemberJoined, opens=())
    def joined(env: EventEnvelope, ev: e.MemberJoined) -> list[Write]:
        sql = (
            "INSERT INTO membership_composition_members (member_id, person_id, club_id, sex,"
            " birth_date, household_id, joined_on) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        args = (
            ev.member_id, ev.person_id, ev.club_id, ev.sex,
            keep_text(env, "birth_date"), ev.household_id, ev.joined_on,
        )  # fmt: skip
        return [Write(sql, args)]

    @on(e.MemberLeft, opens=())
    def left(env: EventEnvelope, ev: e.MemberLeft) -> list[Write]:
        sql = "UPDATE membership_composition_members SET left_on = $2 WHERE member_id = $1"
        return [Write(sql, (ev.member_id, ev.left_on))]

    @on(e.MemberProfileUpdated, opens=())
    def profile(env: EventEnvelope, ev: e.MemberProfileUpdated) -> list[Write]:
        person = entity_id(env)
        writes = []
        if ev.sex is not None:
            sql = "UPDATE membership_composition_members SET sex = $2 WHERE person_id = $1"
            writes.append(Write(sql, (person, ev.sex)))
        for field in ("birth_date", "household_id"):
            value = getattr(ev, field)
            if field == "birth_date":
                # Kept sealed, never opened here; a destroyed key counts as not given.
                value = keep_text(env, field) if holds_value(env, field) else None
            if value is not None or field in ev.cleared:
                # the column name comes from the tuple above, never from input
                sql = f"UPDATE membership_composition_members SET {field} = $2 WHERE person_id = $1"
                writes.append(Write(sql, (person, value)))
        return writes

    @on(e.HouseholdPovertyStatusRecorded, opens=("status",))
    def poverty(env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded) -> list[Write]:
        return [record_poverty("membership_composition_households", env, ev)]

    return projection
