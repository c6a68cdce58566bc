"""membership_people: one profile per person, their memberships and consents. Sensitive
values (ID number, phone, disability level) are not copied here: only whether they exist."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import protect, protect_text
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection
from membership.projections.common import person_of, tracked
from membership.projections.common_profile import profile_changes, set_clause

NAME = "membership_people"
STREAMS = "membership_people_streams"
TABLES = [
    "membership_people",
    "membership_people_memberships",
    "membership_people_consents",
    STREAMS,
]


def people_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = tracked(projection, STREAMS)

    @on(e.MemberJoined)
    async def joined(conn: Connection, env: EventEnvelope, ev: e.MemberJoined) -> None:
        # Joining (again) restates the profile as the club recorded it that day.
        await conn.execute(
            "INSERT INTO membership_people (person_id, full_name, sex, birth_date, village,"
            " household_id, womens_union, ethnic_minority, has_id_number, has_phone)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (person_id) DO UPDATE"
            " SET full_name = EXCLUDED.full_name, sex = EXCLUDED.sex,"
            " birth_date = coalesce(EXCLUDED.birth_date, membership_people.birth_date),"
            " village = EXCLUDED.village, household_id = EXCLUDED.household_id,"
            " womens_union = EXCLUDED.womens_union, ethnic_minority = EXCLUDED.ethnic_minority,"
            " has_id_number = EXCLUDED.has_id_number OR membership_people.has_id_number,"
            " has_phone = EXCLUDED.has_phone OR membership_people.has_phone",
            ev.person_id, protect(env, "full_name", ev.full_name), ev.sex,
            protect_text(env, "birth_date", ev.birth_date),
            ev.village, ev.household_id,
            ev.womens_union_member, ev.ethnic_minority, ev.id_number is not None,
            ev.phone is not None,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO membership_people_memberships (member_id, person_id, club_id, joined_on)"
            " VALUES ($1, $2, $3, $4)",
            ev.member_id, ev.person_id, ev.club_id, ev.joined_on,
        )  # fmt: skip

    @on(e.MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, ev: e.MemberLeft) -> None:
        await conn.execute(
            "UPDATE membership_people_memberships SET left_on = $2, leave_reason = $3"
            " WHERE member_id = $1",
            ev.member_id, ev.left_on, ev.reason,
        )  # fmt: skip

    @on(e.MemberProfileUpdated)
    async def profile(conn: Connection, env: EventEnvelope, ev: e.MemberProfileUpdated) -> None:
        changes = profile_changes(ev, env)
        if ev.id_number is not None or "id_number" in ev.cleared:
            changes["has_id_number"] = ev.id_number is not None
        if ev.phone is not None or "phone" in ev.cleared:
            changes["has_phone"] = ev.phone is not None
        if changes:
            await conn.execute(
                f"UPDATE membership_people SET {set_clause(changes, 2)} WHERE person_id = $1",
                person_of(env), *changes.values(),
            )  # fmt: skip

    @on(e.DisabilityLevelRecorded)
    async def disability(
        conn: Connection, env: EventEnvelope, ev: e.DisabilityLevelRecorded
    ) -> None:
        await conn.execute(
            "UPDATE membership_people SET has_disability = $2 WHERE person_id = $1",
            ev.person_id, ev.level is not None,
        )  # fmt: skip

    @on(e.ConsentGiven)
    async def given(conn: Connection, env: EventEnvelope, ev: e.ConsentGiven) -> None:
        await conn.execute(
            "INSERT INTO membership_people_consents (consent_id, person_id, club_id, purpose,"
            " given_on) VALUES ($1, $2, $3, $4, $5)",
            ev.consent_id, ev.person_id, ev.club_id, ev.purpose, ev.given_on,
        )  # fmt: skip

    @on(e.ConsentWithdrawn)
    async def withdrawn(conn: Connection, env: EventEnvelope, ev: e.ConsentWithdrawn) -> None:
        await conn.execute(
            "UPDATE membership_people_consents SET withdrawn_on = $2 WHERE consent_id = $1",
            ev.consent_id, ev.withdrawn_on,
        )  # fmt: skip

    return projection
