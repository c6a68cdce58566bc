"""membership_roster: clubs (with admin-unit history), members with roles and category
flags, board seats, volunteers, household poverty periods. Ages and "older" are computed by
the query for its reporting date; nothing date-relative is stored."""

from __future__ import annotations

from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import keep, keep_text
from ishc_runtime.projections import Projection, Write, entity_id
from membership.projections.profile_columns import PROFILE_OPENS, profile_changes, set_clause

NAME = "membership_roster"
TABLES = [
    "membership_clubs",
    "membership_club_units",
    "membership_roster",
    "membership_board_seats",
    "membership_roster_volunteers",
    "membership_roster_households",
]


def roster_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = projection.writes

    @on(e.ClubEstablished)
    def established(env: EventEnvelope, ev: e.ClubEstablished) -> list[Write]:
        club = (
            "INSERT INTO membership_clubs (club_id, name, admin_unit, founded_on, status,"
            " meeting_day) VALUES ($1, $2, $3, $4, 'forming', $5)"
        )
        unit_sql = (
            "INSERT INTO membership_club_units VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        units = [
            Write(unit_sql, (
                ev.club_id, unit.scheme, unit.province_code, unit.province_name,
                unit.district_code, unit.district_name, unit.ward_code, unit.ward_name,
                unit.valid_from, unit.valid_to,
            ))
            for unit in ev.admin_unit_history
        ]  # fmt: skip
        args = (ev.club_id, ev.name, ev.admin_unit, ev.founded_on, ev.meeting_day_of_month)
        return [Write(club, args), *units]

    @on(e.CharterAdopted)
    def charter(env: EventEnvelope, ev: e.CharterAdopted) -> list[Write]:
        sql = (
            "UPDATE membership_clubs SET status = 'active', charter_version = $2,"
            " meeting_day = coalesce($3, meeting_day) WHERE club_id = $1"
        )
        return [Write(sql, (ev.club_id, ev.charter_version, ev.meeting_day_of_month))]

    @on(e.ClubStatusChanged)
    def status(env: EventEnvelope, ev: e.ClubStatusChanged) -> list[Write]:
        sql = "UPDATE membership_clubs SET status = $2 WHERE club_id = $1"
        return [Write(sql, (ev.club_id, ev.status))]

    @on(e.BoardElected)
    def board(env: EventEnvelope, ev: e.BoardElected) -> list[Write]:
        # The latest term is the board: earlier seats end with it.
        seat = "INSERT INTO membership_board_seats VALUES ($1, $2, $3, $4)"
        return [
            Write("DELETE FROM membership_board_seats WHERE club_id = $1", (ev.club_id,)),
            *(Write(seat, (ev.club_id, ev.board_term_id, s.member_id, s.role)) for s in ev.seats),
        ]

    @on(e.MemberJoined, opens=())
    def joined(env: EventEnvelope, ev: e.MemberJoined) -> list[Write]:
        sql = (
            "INSERT INTO membership_roster (member_id, person_id, club_id, full_name, sex,"
            " birth_date, household_id, village, joined_on, womens_union, ethnic_minority,"
            " has_disability) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            " coalesce((SELECT bool_or(has_disability) FROM membership_roster"
            "  WHERE person_id = $2), false))"
        )
        args = (
            ev.member_id, ev.person_id, ev.club_id, keep(env, "full_name"),
            ev.sex, keep_text(env, "birth_date"), ev.household_id, ev.village,
            ev.joined_on, ev.womens_union_member, keep_text(env, "ethnic_minority"),
        )  # fmt: skip
        return [Write(sql, args)]

    @on(e.MemberLeft, opens=())
    def left(env: EventEnvelope, ev: e.MemberLeft) -> list[Write]:
        sql = "UPDATE membership_roster SET left_on = $2, leave_reason = $3 WHERE member_id = $1"
        return [Write(sql, (ev.member_id, ev.left_on, ev.reason))]

    @on(e.MemberProfileUpdated, opens=PROFILE_OPENS)
    def profile(env: EventEnvelope, ev: e.MemberProfileUpdated) -> list[Write]:
        changes = profile_changes(ev, env)
        if not changes:
            return []
        sql = f"UPDATE membership_roster SET {set_clause(changes, 2)} WHERE person_id = $1"
        return [Write(sql, (entity_id(env), *changes.values()))]

    @on(e.DisabilityLevelRecorded, opens=())
    def disability(env: EventEnvelope, ev: e.DisabilityLevelRecorded) -> list[Write]:
        # An assessment is recorded with a level: that it exists is the fact, readable
        # after an erasure as before (the level itself stays sealed in the event).
        sql = "UPDATE membership_roster SET has_disability = true WHERE person_id = $1"
        return [Write(sql, (ev.person_id,))]

    @on(e.VolunteerRegistered, opens=())
    def volunteer(env: EventEnvelope, ev: e.VolunteerRegistered) -> list[Write]:
        sql = "INSERT INTO membership_roster_volunteers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        args = (
            ev.volunteer_id, ev.club_id, ev.person_id, ev.member_id,
            keep(env, "full_name"),
            ev.registered_on, list(ev.skills), ev.participation_level, ev.confidentiality_signed,
        )  # fmt: skip
        return [Write(sql, args)]

    @on(e.HouseholdPovertyStatusRecorded, opens=("status",))
    def poverty(env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded) -> list[Write]:
        return [record_poverty("membership_roster_households", env, ev)]

    return projection


def record_poverty(table: str, env: EventEnvelope, ev: e.HouseholdPovertyStatusRecorded) -> Write:
    household: UUID = ev.household_id
    sql = (
        f"INSERT INTO {table} (household_id, version, status, valid_from, valid_to)"
        " VALUES ($1, $2, $3, $4, $5)"
    )
    return Write(sql, (household, env.version, ev.status, ev.valid_from, ev.valid_to))
