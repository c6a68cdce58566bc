"""Reporting's view of membership: clubs (both admin maps), members and their category flags,
household poverty status, volunteers and meetings."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import (
    ClubEstablished,
    ClubStatusChanged,
    DisabilityLevelRecorded,
    HouseholdPovertyStatusRecorded,
    MeetingHeld,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
    VolunteerRegistered,
)
from ishc_runtime.clock import vn_date
from ishc_runtime.projections import Projection, Write
from reporting.projections.retained import recalled, retain

TABLES = [
    "rpt_clubs",
    "rpt_club_status",
    "rpt_members",
    "rpt_member_households",
    "rpt_household_status",
    "rpt_volunteers",
    "rpt_meetings",
]


def sixty_from(birth_date: date | None) -> date | None:
    """The first day of the month a member turns 60: the one age fact reporting keeps instead
    of the birth date (reporting dates are month ends, so it decides "60 or older" exactly)."""
    if birth_date is None:
        return None
    return date(birth_date.year + 60, birth_date.month, 1)


def membership_projection(source: str = "membership") -> Projection:
    projection = Projection(
        name="reporting_membership", sources=[source], policy="park", tables=TABLES
    )

    @projection.writes(ClubEstablished)
    def club(env: EventEnvelope, e: ClubEstablished) -> list[Write]:
        legacy = next((u for u in e.admin_unit_history if u.scheme == "legacy_63"), None)
        new = next((u for u in reversed(e.admin_unit_history) if u.scheme == "2025_34"), None)
        return [
            Write(
                "INSERT INTO rpt_clubs (club_id, name, founded_on, activity_areas,"
                " legacy_province, legacy_province_name, legacy_ward, legacy_ward_name,"
                " new_province, new_province_name, new_ward, new_ward_name)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                " ON CONFLICT (club_id) DO NOTHING",
                (
                    e.club_id,
                    e.name,
                    e.founded_on,
                    len(set(e.activity_areas)),
                    legacy.province_code if legacy else None,
                    legacy.province_name if legacy else None,
                    legacy.ward_code if legacy else None,
                    legacy.ward_name if legacy else None,
                    new.province_code if new else None,
                    new.province_name if new else None,
                    new.ward_code if new else None,
                    new.ward_name if new else None,
                ),
            )
        ]

    @projection.writes(ClubStatusChanged)
    def status(env: EventEnvelope, e: ClubStatusChanged) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_club_status (club_id, version, changed_on, status)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (club_id, version) DO NOTHING",
                (e.club_id, env.version, e.changed_on, e.status),
            )
        ]

    @projection.writes(MemberJoined, opens=("birth_date", "ethnic_minority"))
    def joined(env: EventEnvelope, e: MemberJoined) -> list[Write]:
        turns_sixty, minority = sixty_from(e.birth_date), e.ethnic_minority
        return [
            *retain(env, {"sixty_from": turns_sixty, "ethnic_minority": minority}),
            Write(
                "INSERT INTO rpt_members (member_id, club_id, person_id, sex,"
                " sixty_from, joined_on, womens_union, ethnic_minority)"
                f" VALUES ($1, $2, $3, $4, {recalled(5, 9, 'sixty_from', 'date')}, $6, $7,"
                f" coalesce({recalled(8, 9, 'ethnic_minority', 'boolean')}, false))"
                " ON CONFLICT (member_id) DO NOTHING",
                (
                    e.member_id,
                    e.club_id,
                    e.person_id,
                    e.sex,
                    turns_sixty,
                    e.joined_on,
                    bool(e.womens_union_member),
                    minority,
                    env.event_id,
                ),
            ),
            household_from(env, e.member_id, e.joined_on, e.household_id),
        ]

    projection.row(
        MemberLeft,
        "UPDATE rpt_members SET left_on = $2 WHERE member_id = $1",
        lambda e: (e.member_id, e.left_on),
        opens=(),
    )

    @projection.writes(MemberProfileUpdated, opens=("birth_date", "ethnic_minority"))
    def profile(env: EventEnvelope, e: MemberProfileUpdated) -> list[Write]:
        cleared = set(e.cleared)
        moved = (
            [household_from(env, e.member_id, vn_date(env.metadata.occurred_at), e.household_id)]
            if e.household_id is not None or "household_id" in cleared
            else []
        )
        turns_sixty, minority = sixty_from(e.birth_date), e.ethnic_minority
        return [
            *moved,
            *retain(env, {"sixty_from": turns_sixty, "ethnic_minority": minority}),
            Write(
                "UPDATE rpt_members SET"
                " sex = coalesce($2, sex),"
                " sixty_from = CASE WHEN $3 THEN NULL"
                f" ELSE coalesce({recalled(4, 7, 'sixty_from', 'date')}, sixty_from) END,"
                " womens_union = coalesce($5, womens_union),"
                f" ethnic_minority = coalesce({recalled(6, 7, 'ethnic_minority', 'boolean')},"
                " ethnic_minority)"
                " WHERE member_id = $1",
                (
                    e.member_id,
                    e.sex,
                    "birth_date" in cleared,
                    turns_sixty,
                    e.womens_union_member,
                    minority,
                    env.event_id,
                ),
            ),
        ]

    @projection.writes(DisabilityLevelRecorded, opens=())
    def disability(env: EventEnvelope, e: DisabilityLevelRecorded) -> list[Write]:
        # A person's stream holds all their memberships: the assessment is about the person.
        # Indicators count people with a disability from the date it was assessed; the level
        # stays with membership (and advocacy, sealed), where a rule reads it.
        return [
            Write(
                "UPDATE rpt_members SET disability_on = $2 WHERE person_id = $1",
                (e.person_id, e.assessed_on),
            )
        ]

    @projection.writes(HouseholdPovertyStatusRecorded, opens=("status",))
    def poverty(env: EventEnvelope, e: HouseholdPovertyStatusRecorded) -> list[Write]:
        return [
            *retain(env, {"poverty_status": e.status}),
            Write(
                "INSERT INTO rpt_household_status (household_id, valid_from, valid_to,"
                # 'unknown': sealed, no longer opens, and never kept here.
                " status, club_id) VALUES ($1, $2, $3,"
                f" coalesce({recalled(4, 6, 'poverty_status', 'text')}, 'unknown'), $5)"
                " ON CONFLICT (household_id, valid_from)"
                " DO UPDATE SET valid_to = excluded.valid_to, status = excluded.status",
                (e.household_id, e.valid_from, e.valid_to, e.status, e.club_id, env.event_id),
            ),
        ]

    projection.row(
        VolunteerRegistered,
        "INSERT INTO rpt_volunteers (volunteer_id, club_id, registered_on)"
        " VALUES ($1, $2, $3) ON CONFLICT (volunteer_id) DO NOTHING",
        lambda e: (e.volunteer_id, e.club_id, e.registered_on),
        opens=(),
    )

    projection.row(
        MeetingHeld,
        "INSERT INTO rpt_meetings (meeting_id, club_id, held_on) VALUES ($1, $2, $3)"
        " ON CONFLICT (meeting_id) DO NOTHING",
        lambda e: (e.meeting_id, e.club_id, e.held_on),
    )

    return projection


def household_from(
    env: EventEnvelope, member_id: UUID, valid_from: date, household_id: UUID | None
) -> Write:
    """The member's household from `valid_from` on (None: no longer recorded)."""
    return Write(
        "INSERT INTO rpt_member_households (member_id, version, valid_from, household_id)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, version) DO NOTHING",
        (member_id, env.version, valid_from, household_id),
    )
