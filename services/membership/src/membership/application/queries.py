"""Roster, person profile and access-report queries over the membership_roster /
membership_people models and the access audit (ADR 0053: the national admin's query and the
data subject's access report, from `access_audit`, projected from the gateway's records)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from ishc_contracts import QueryEnvelope
from ishc_contracts.audit import AccessReport
from ishc_contracts.errors import NotFound
from ishc_contracts.membership.queries import ClubRoster, PersonProfile
from ishc_contracts.vietnam import VN_TZ
from ishc_runtime.privacy import as_date, as_flag, reveal
from ishc_runtime.service import ServiceContext
from membership.application.reading import fresh, reporting_date
from membership.application.routes import routes
from membership.domain import rules
from membership.domain.errors import UnknownClub

# Poverty status on the reporting date: the latest certificate whose period covers it.
POVERTY_ON = """
  (SELECT h.status FROM {table} h
    WHERE h.household_id = r.household_id AND h.valid_from <= $2
      AND (h.valid_to IS NULL OR $2 <= h.valid_to)
    ORDER BY h.version DESC LIMIT 1)
"""

ROSTER = f"""
SELECT r.*, {POVERTY_ON.format(table="membership_roster_households")} AS poverty_status,
  (SELECT array_agg(b.role ORDER BY b.role) FROM membership_board_seats b
    WHERE b.club_id = r.club_id AND b.member_id = r.member_id) AS board_roles,
  EXISTS (SELECT 1 FROM membership_roster_volunteers v
    WHERE v.club_id = r.club_id AND (v.member_id = r.member_id OR v.person_id = r.person_id))
    AS volunteer
FROM membership_roster r
WHERE r.club_id = $1 AND r.joined_on <= $2 AND ($3 OR r.left_on IS NULL OR r.left_on > $2)
ORDER BY r.member_id
"""


@routes.query(ClubRoster)
async def club_roster(ctx: ServiceContext, env: QueryEnvelope, q: ClubRoster) -> dict[str, Any]:
    is_fresh = await fresh(ctx, env, "membership_roster", f"club-{q.club_id}")
    as_of = reporting_date(ctx, q.as_of)
    club = await ctx.pool.fetchrow("SELECT * FROM membership_clubs WHERE club_id = $1", q.club_id)
    if club is None:
        raise UnknownClub(f"no club {q.club_id}", field="club_id")
    units = await ctx.pool.fetch(
        "SELECT * FROM membership_club_units WHERE club_id = $1 ORDER BY valid_from NULLS FIRST",
        q.club_id,
    )
    # Names are stored sealed: opened here, then sorted (the table only orders ciphertexts).
    rows = await reveal(
        ctx.store.privacy,
        await ctx.pool.fetch(ROSTER, q.club_id, as_of, q.include_former),
        "full_name",
        "birth_date",
        "ethnic_minority",
    )
    rows.sort(key=lambda row: (row["full_name"], row["member_id"]))
    older_age = rules.composition_targets(as_of).older_age
    members = [roster_row(row, as_of, older_age) for row in rows]
    board = await ctx.pool.fetch(
        "SELECT member_id, role FROM membership_board_seats WHERE club_id = $1 ORDER BY role",
        q.club_id,
    )
    # The club's volunteers by name: a care case names its team by volunteer id.
    volunteers = await reveal(
        ctx.store.privacy,
        await ctx.pool.fetch(
            "SELECT volunteer_id, person_id, member_id, full_name, registered_on"
            " FROM membership_roster_volunteers WHERE club_id = $1",
            q.club_id,
        ),
        "full_name",
    )
    volunteers.sort(key=lambda row: (row["full_name"], row["volunteer_id"]))
    low, high = rules.TYPICAL_BOARD_SIZE
    return {
        "club": dict(club),
        "volunteers": volunteers,
        "admin_units": [dict(u) for u in units],
        "as_of": as_of,
        "members": members,
        "active_members": sum(1 for m in members if m["active"]),
        "board": [dict(b) for b in board],
        "board_size_typical": low <= len({b["member_id"] for b in board}) <= high,
        "stale": not is_fresh,
    }


def roster_row(row: dict[str, Any], as_of: Any, older_age: int) -> dict[str, Any]:
    born = as_date(row["birth_date"])
    age = rules.age_on(born, as_of) if born is not None else None
    roles = ["member", *[f"board:{r}" for r in row["board_roles"] or []]]
    if row["volunteer"]:
        roles.append("volunteer")
    left_on = row["left_on"]
    return {
        "member_id": row["member_id"],
        "person_id": row["person_id"],
        "full_name": row["full_name"],
        "sex": row["sex"],
        "age": age,
        # Tells apart members of the same name in the dashboard's pickers (with the hamlet).
        "birth_year": born.year if born is not None else None,
        "village": row["village"],
        "household_id": row["household_id"],
        "poverty_status": row["poverty_status"],
        "joined_on": row["joined_on"],
        "left_on": left_on,
        "leave_reason": row["leave_reason"],
        "active": left_on is None or left_on > as_of,
        "roles": roles,
        # Independent flags: one person may be all of them, or none.
        "categories": {
            "older": age is not None and age >= older_age,
            "woman": row["sex"] == "female",
            "womens_union_member": bool(row["womens_union"]),
            "poor_or_near_poor": row["poverty_status"] in ("poor", "near_poor"),
            "disability": row["has_disability"],
            "ethnic_minority": as_flag(row["ethnic_minority"]) is True,
        },
    }


@routes.query(PersonProfile)
async def person_profile(
    ctx: ServiceContext, env: QueryEnvelope, q: PersonProfile
) -> dict[str, Any]:
    is_fresh = await fresh(ctx, env, "membership_people", f"member-{q.person_id}")
    person = await ctx.pool.fetchrow(
        "SELECT * FROM membership_people WHERE person_id = $1", q.person_id
    )
    if person is None:
        raise NotFound(f"no person {q.person_id}", field="person_id")
    (opened,) = await reveal(
        ctx.store.privacy, [person], "full_name", "birth_date", "ethnic_minority"
    )
    opened["birth_date"] = as_date(opened["birth_date"])
    opened["ethnic_minority"] = as_flag(opened["ethnic_minority"])
    memberships = await ctx.pool.fetch(
        "SELECT member_id, club_id, joined_on, left_on, leave_reason"
        " FROM membership_people_memberships WHERE person_id = $1 ORDER BY joined_on",
        q.person_id,
    )
    consents = await ctx.pool.fetch(
        "SELECT consent_id, club_id, purpose, given_on, withdrawn_on"
        " FROM membership_people_consents WHERE person_id = $1 ORDER BY given_on, consent_id",
        q.person_id,
    )
    return {
        **opened,
        "memberships": [dict(m) for m in memberships],
        "consents": [dict(c) for c in consents],
        "stale": not is_fresh,
    }


# A person is shown under their person id, or a member id of one of their memberships.
READS = """
SELECT access_id, read_at, principal_id, role, route, purpose, field_names, categories,
       correlation_id
FROM access_audit
WHERE subject_ids && $1::uuid[]
  AND ($2::timestamptz IS NULL OR read_at >= $2)
  AND ($3::timestamptz IS NULL OR read_at < $3)
ORDER BY read_at DESC, access_id
LIMIT $4
"""


@routes.query(AccessReport)
async def access_report(ctx: ServiceContext, env: QueryEnvelope, q: AccessReport) -> dict[str, Any]:
    members = await ctx.pool.fetch(
        "SELECT member_id FROM membership_people_memberships WHERE person_id = $1", q.person_id
    )
    ids = [q.person_id, *(m["member_id"] for m in members)]
    # Days are Viet Nam days: `until` includes its whole day.
    since = datetime.combine(q.since, time(), VN_TZ) if q.since else None
    until = datetime.combine(q.until + timedelta(days=1), time(), VN_TZ) if q.until else None
    rows = await ctx.pool.fetch(READS, ids, since, until, q.limit + 1)
    reads = [
        {
            **dict(r),
            "field_names": list(r["field_names"]),
            "categories": list(r["categories"]),
        }
        for r in rows[: q.limit]
    ]
    # Operators who revealed this store's sealed fields of the person (`--reveal`).
    reveals = await ctx.pool.fetch(
        "SELECT revealed_at, operator, target FROM privacy_reveals"
        " WHERE person_id = ANY($1::uuid[])"
        " AND ($2::timestamptz IS NULL OR revealed_at >= $2)"
        " AND ($3::timestamptz IS NULL OR revealed_at < $3)"
        " ORDER BY revealed_at DESC LIMIT $4",
        ids,
        since,
        until,
        q.limit,
    )
    # Other services handed this person's data keys under their grants (processing, not a
    # disclosure to a person: listed apart). A row per reader, stream and category.
    grants = await ctx.pool.fetch(
        "SELECT reader, category, subject, first_served_at, last_served_at, times"
        " FROM privacy_grants_served WHERE person_id = ANY($1::uuid[])"
        " AND ($2::timestamptz IS NULL OR last_served_at >= $2)"
        " AND ($3::timestamptz IS NULL OR first_served_at < $3)"
        " ORDER BY last_served_at DESC, reader, subject, category LIMIT $4",
        ids,
        since,
        until,
        q.limit,
    )
    return {
        "person_id": q.person_id,
        "subject_ids": ids,
        "reads": reads,
        "truncated": len(rows) > q.limit,
        "operator_reveals": [dict(r) for r in reveals],
        "service_grants": [dict(r) for r in grants],
    }
