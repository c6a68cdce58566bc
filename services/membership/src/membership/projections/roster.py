"""membership_roster: clubs (with admin-unit history), members with roles and category
flags, board seats, volunteers, household poverty periods. Ages and "older" are computed by
the query for its reporting date; nothing date-relative is stored."""

from __future__ import annotations

from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import protect, protect_text
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection
from membership.projections.common import person_of, tracked
from membership.projections.common_profile import profile_changes, set_clause

NAME = "membership_roster"
STREAMS = "membership_roster_streams"
TABLES = [
    "membership_clubs",
    "membership_club_units",
    "membership_roster",
    "membership_board_seats",
    "membership_roster_volunteers",
    "membership_roster_households",
    STREAMS,
]


def roster_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = tracked(projection, STREAMS)

    @on(e.ClubEstablished)
    async def established(conn: Connection, env: EventEnvelope, ev: e.ClubEstablished) -> None:
        await conn.execute(
            "INSERT INTO membership_clubs (club_id, name, admin_unit, founded_on, status,"
            " meeting_day) VALUES ($1, $2, $3, $4, 'forming', $5)",
            ev.club_id, ev.name, ev.admin_unit, ev.founded_on, ev.meeting_day_of_month,
        )  # fmt: skip
        for unit in ev.admin_unit_history:
            await conn.execute(
                "INSERT INTO membership_club_units"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                ev.club_id, unit.scheme, unit.province_code, unit.province_name,
                unit.district_code, unit.district_name, unit.ward_code, unit.ward_name,
                unit.valid_from, unit.valid_to,
            )  # fmt: skip

    @on(e.CharterAdopted)
    async def charter(conn: Connection, env: EventEnvelope, ev: e.CharterAdopted) -> None:
        await conn.execute(
            "UPDATE membership_clubs SET status = 'active', charter_version = $2,"
            " meeting_day = coalesce($3, meeting_day) WHERE club_id = $1",
            ev.club_id, ev.charter_version, ev.meeting_day_of_month,
        )  # fmt: skip

    @on(e.ClubStatusChanged)
    async def status(conn: Connection, env: EventEnvelope, ev: e.ClubStatusChanged) -> None:
        await conn.execute(
            "UPDATE membership_clubs SET status = $2 WHERE club_id = $1", ev.club_id, ev.status
        )

    @on(e.BoardElected)
    async def board(conn: Connection, env: EventEnvelope, ev: e.BoardElected) -> None:
        # The latest term is the board: earlier seats end with it.
        await conn.execute("DELETE FROM membership_board_seats WHERE club_id = $1", ev.club_id)
        await conn.executemany(
            "INSERT INTO membership_board_seats VALUES ($1, $2, $3, $4)",
            [(ev.club_id, ev.board_term_id, s.member_id, s.role) for s in ev.seats],
        )

    @on(e.MemberJoined)
    async def joined(conn: Connection, env: EventEnvelope, ev: e.MemberJoined) -> None:
        await conn.execute(
            "INSERT INTO membership_roster (member_id, person_id, club_id, full_name, sex,"
            " birth_date, household_id, village, joined_on, womens_union, ethnic_minority,"
            " has_disability) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            " coalesce((SELECT bool_or(has_disability) FROM membership_roster"
            "  WHERE person_id = $2), false))",
            ev.member_id, ev.person_id, ev.club_id, protect(env, "full_name", ev.full_name),
            ev.sex, protect_text(env, "birth_date", ev.birth_date), ev.household_id, ev.village,
            ev.joined_on,
            ev.womens_union_member,
            ev.ethnic_minority,
        )  # fmt: skip

    @on(e.MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, ev: e.MemberLeft) -> None:
        await conn.execute(
            "UPDATE membership_roster SET left_on = $2, leave_reason = $3 WHERE member_id = $1",
            ev.member_id, ev.left_on, ev.reason,
        )  # fmt: skip

    @on(e.MemberProfileUpdated)
    async def profile(conn: Connection, env: EventEnvelope, ev: e.MemberProfileUpdated) -> None:
        changes = profile_changes(ev, env)
        if changes:
            await conn.execute(
                f"UPDATE membership_roster SET {set_clause(changes, 2)} WHERE person_id = $1",
                person_of(env), *changes.values(),
            )  # fmt: skip

    @on(e.DisabilityLevelRecorded)
    async def disability(
        conn: Connection, env: EventEnvelope, ev: e.DisabilityLevelRecorded
    ) -> None:
        await conn.execute(
            "UPDATE membership_roster SET has_disability = $2 WHERE person_id = $1",
            ev.person_id, ev.level is not None,
        )  # fmt: skip

    @on(e.VolunteerRegistered)
    async def volunteer(conn: Connection, env: EventEnvelope, ev: e.VolunteerRegistered) -> None:
        await conn.execute(
            "INSERT INTO membership_roster_volunteers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            ev.volunteer_id, ev.club_id, ev.person_id, ev.member_id,
            protect(env, "full_name", ev.full_name),
            ev.registered_on, list(ev.skills), ev.participation_level, ev.confidentiality_signed,
        )  # fmt: skip

    @on(e.HouseholdPovertyStatusRecorded)
    async def poverty(
        conn: Connection, env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded
    ) -> None:
        await record_poverty(conn, "membership_roster_households", env, ev)

    return projection


async def record_poverty(
    conn: Connection, table: str, env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded
) -> None:
    household: UUID = ev.household_id
    await conn.execute(
        f"INSERT INTO {table} (household_id, version, status, valid_from, valid_to)"
        " VALUES ($1, $2, $3, $4, $5)",
        household, env.version, ev.status, ev.valid_from, ev.valid_to,
    )  # fmt: skip
