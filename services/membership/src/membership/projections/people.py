"""membership_people: one profile per person, their memberships and consents. Sensitive
values (ID number, phone, disability level) are not copied here: only whether they exist."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.membership import events as e
from ishc_runtime.privacy import keep, keep_text
from ishc_runtime.projections import Projection, Write, entity_id
from membership.projections.profile_columns import (
    PROFILE_OPENS,
    holds_value,
    profile_changes,
    set_clause,
)

NAME = "membership_people"
TABLES = [
    "membership_people",
    "membership_people_memberships",
    "membership_people_consents",
]


def people_projection(source: str = "membership") -> Projection:
    projection = Projection(name=NAME, sources=[source], policy="park", tables=TABLES)
    on = projection.writes

    # Whether an ID number or a phone was given is read from the sealed event, unopened: an
    # erasure leaves it as it was, in the live read model and in a rebuild alike.
    @on(e.MemberJoined, opens=())
    def joined(env: EventEnvelope, ev: e.MemberJoined) -> list[Write]:
        # Joining (again) restates the profile as the club recorded it that day.
        person = (
            "INSERT INTO membership_people (person_id, full_name, sex, birth_date, village,"
            " household_id, womens_union, ethnic_minority, has_id_number, has_phone)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (person_id) DO UPDATE"
            " SET full_name = EXCLUDED.full_name, sex = EXCLUDED.sex,"
            " birth_date = coalesce(EXCLUDED.birth_date, membership_people.birth_date),"
            " village = EXCLUDED.village, household_id = EXCLUDED.household_id,"
            " womens_union = EXCLUDED.womens_union, ethnic_minority = EXCLUDED.ethnic_minority,"
            " has_id_number = EXCLUDED.has_id_number OR membership_people.has_id_number,"
            " has_phone = EXCLUDED.has_phone OR membership_people.has_phone"
        )
        person_args = (
            ev.person_id, keep(env, "full_name"), ev.sex,
            keep_text(env, "birth_date"),
            ev.village, ev.household_id,
            ev.womens_union_member, keep_text(env, "ethnic_minority"),
            holds_value(env, "id_number"), holds_value(env, "phone"),
        )  # fmt: skip
        membership = (
            "INSERT INTO membership_people_memberships (member_id, person_id, club_id, joined_on)"
            " VALUES ($1, $2, $3, $4)"
        )
        membership_args = (ev.member_id, ev.person_id, ev.club_id, ev.joined_on)
        return [Write(person, person_args), Write(membership, membership_args)]

    @on(e.MemberLeft, opens=())
    def left(env: EventEnvelope, ev: e.MemberLeft) -> list[Write]:
        sql = (
            "UPDATE membership_people_memberships SET left_on = $2, leave_reason = $3"
            " WHERE member_id = $1"
        )
        return [Write(sql, (ev.member_id, ev.left_on, ev.reason))]

    @on(e.MemberProfileUpdated, opens=PROFILE_OPENS)
    def profile(env: EventEnvelope, ev: e.MemberProfileUpdated) -> list[Write]:
        changes = profile_changes(ev, env)
        for field_name, column in (("id_number", "has_id_number"), ("phone", "has_phone")):
            if holds_value(env, field_name) or field_name in ev.cleared:
                changes[column] = holds_value(env, field_name)
        if not changes:
            return []
        sql = f"UPDATE membership_people SET {set_clause(changes, 2)} WHERE person_id = $1"
        return [Write(sql, (entity_id(env), *changes.values()))]

    @on(e.DisabilityLevelRecorded, opens=())
    def disability(env: EventEnvelope, ev: e.DisabilityLevelRecorded) -> list[Write]:
        # Recorded with a level (the command requires one): that it exists is the fact.
        sql = "UPDATE membership_people SET has_disability = true WHERE person_id = $1"
        return [Write(sql, (ev.person_id,))]

    @on(e.ConsentGiven)
    def given(env: EventEnvelope, ev: e.ConsentGiven) -> list[Write]:
        sql = (
            "INSERT INTO membership_people_consents (consent_id, person_id, club_id, purpose,"
            " given_on) VALUES ($1, $2, $3, $4, $5)"
        )
        return [Write(sql, (ev.consent_id, ev.person_id, ev.club_id, ev.purpose, ev.given_on))]

    @on(e.ConsentWithdrawn)
    def withdrawn(env: EventEnvelope, ev: e.ConsentWithdrawn) -> list[Write]:
        sql = "UPDATE membership_people_consents SET withdrawn_on = $2 WHERE consent_id = $1"
        return [Write(sql, (ev.consent_id, ev.withdrawn_on))]

    return projection
