"""Other services' events → advocacy's facts and screenings, and funeral-support cases.

`advocacy_people` keeps advocacy's own view of people (birth date, household and its
poverty status by period, disability) and, in the same transaction, schedules the
screenings those facts call for as durable timers: a screening due now for the event, and
future ones for milestone ages and rule dates. Timers rather than a direct command because
the screening reads the facts this very batch writes; committed together, the timer can only
fire once the facts are visible, and its key makes redelivery and rebuilds schedule it once.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from uuid import UUID

from advocacy.application.routes import routes
from advocacy.application.timers import schedule_screenings
from advocacy.domain.errors import CaseExists
from advocacy.domain.policy_table import TABLE
from advocacy.domain.triggers import (
    ON_DISABILITY,
    ON_JOIN,
    ON_POVERTY,
    plan_for_member,
    plan_now,
)
from ishc_contracts import EventEnvelope
from ishc_contracts.care.events import CareCaseClosed
from ishc_contracts.membership.events import (
    DisabilityLevelRecorded,
    HouseholdPovertyStatusRecorded,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
)
from ishc_runtime.clock import vn_date
from ishc_runtime.privacy import keep_text, protect_text
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.reactions import reaction_command
from ishc_runtime.store.pool import Connection

FUNERAL_NAMESPACE = uuid.UUID("3c1d9e27-8b4a-4e55-a0f6-2b7e9d1c4a63")
PEOPLE_TABLES = ["advocacy_people", "advocacy_household_status", "advocacy_household_members"]


def funeral_case_id(person_id: UUID) -> UUID:
    """One funeral-support case per person, whichever service reports the death first."""
    return uuid.uuid5(FUNERAL_NAMESPACE, str(person_id))


def people_projection(ctx: ServiceContext) -> Projection:
    projection = Projection(
        name="advocacy_people", sources=["membership"], policy="stop", tables=PEOPLE_TABLES
    )

    def today() -> date:
        return vn_date(ctx.clock.now())

    # Of a member's personal data, only the birth date is read (to plan screenings).
    @projection.on(MemberJoined, opens={"birth_date"})
    async def joined(conn: Connection, env: EventEnvelope, e: MemberJoined) -> None:
        await conn.execute(
            "INSERT INTO advocacy_people (person_id, member_id, club_id, household_id, birth_date)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id) DO UPDATE SET"
            " member_id = $2, club_id = $3, household_id = coalesce($4,"
            " advocacy_people.household_id), birth_date = coalesce($5, advocacy_people.birth_date),"
            " left_on = NULL, leave_reason = NULL",
            e.person_id, e.member_id, e.club_id, e.household_id,
            protect_text(env, "birth_date", e.birth_date),
        )  # fmt: skip
        plans = plan_now(str(env.event_id), ON_JOIN, today(), "member_joined")
        plans += plan_for_member(e.person_id, e.birth_date, today(), TABLE)
        await schedule_screenings(ctx, conn, env, e.person_id, plans)

    @projection.on(MemberProfileUpdated, opens={"birth_date"})
    async def updated(conn: Connection, env: EventEnvelope, e: MemberProfileUpdated) -> None:
        person_id = await conn.fetchval(
            "UPDATE advocacy_people SET birth_date = coalesce($2, birth_date),"
            " household_id = coalesce($3, household_id) WHERE member_id = $1 RETURNING person_id",
            e.member_id, protect_text(env, "birth_date", e.birth_date), e.household_id,
        )  # fmt: skip
        if person_id is not None and (e.birth_date or e.household_id):
            plans = plan_for_member(person_id, e.birth_date, today(), TABLE)
            await schedule_screenings(ctx, conn, env, person_id, plans)

    @projection.on(MemberLeft, opens=())
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        await conn.execute(
            "UPDATE advocacy_people SET left_on = $2, leave_reason = $3 WHERE person_id = $1",
            e.person_id, e.left_on, e.reason,
        )  # fmt: skip

    # The status and the level are kept as the events' ciphertext, never opened here: a
    # screening opens them when it gathers its facts (application/facts.py).
    @projection.on(HouseholdPovertyStatusRecorded, opens=())
    async def poverty(
        conn: Connection, env: EventEnvelope, e: HouseholdPovertyStatusRecorded
    ) -> None:
        await conn.execute(
            "INSERT INTO advocacy_household_status (household_id, valid_from, valid_to, status,"
            " standard) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (household_id, valid_from)"
            " DO UPDATE SET valid_to = $3, status = $4, standard = $5",
            e.household_id, e.valid_from, e.valid_to, keep_text(env, "status"),
            e.standard,
        )  # fmt: skip
        for person_id in e.person_ids:
            await conn.execute(
                "INSERT INTO advocacy_household_members VALUES ($1, $2) ON CONFLICT DO NOTHING",
                e.household_id, person_id,
            )  # fmt: skip
        people = await conn.fetch(
            # People advocacy knows (members); the others are screened when they join.
            "SELECT person_id FROM advocacy_people WHERE household_id = $1 OR person_id IN"
            " (SELECT person_id FROM advocacy_household_members WHERE household_id = $1)",
            e.household_id,
        )
        on = max(today(), e.valid_from)
        for row in people:
            cause = f"{env.event_id}:{row['person_id']}"
            plans = plan_now(cause, ON_POVERTY, on, "poverty_status_recorded")
            await schedule_screenings(ctx, conn, env, row["person_id"], plans)

    @projection.on(DisabilityLevelRecorded, opens=())
    async def disability(conn: Connection, env: EventEnvelope, e: DisabilityLevelRecorded) -> None:
        await conn.execute(
            "UPDATE advocacy_people SET disability_level = $2 WHERE person_id = $1",
            e.person_id, keep_text(env, "level"),
        )  # fmt: skip
        plans = plan_now(str(env.event_id), ON_DISABILITY, today(), "disability_recorded")
        await schedule_screenings(ctx, conn, env, e.person_id, plans)

    return projection


_RECIPIENT = """
SELECT club_id FROM advocacy_claims WHERE person_id = $1 AND approved_on IS NOT NULL
  AND scheme = ANY($2::text[]) ORDER BY approved_on DESC LIMIT 1
"""
MONTHLY_BENEFITS = ["social_pension", "social_allowance_elderly", "disability_allowance"]


def funeral_reaction(ctx: ServiceContext) -> Projection:
    """A death (reported by membership or care) of someone who received a monthly allowance
    or the social pension opens a funeral-support case."""
    projection = Projection(name="advocacy_funeral", sources=["membership", "care"], policy="park")

    async def open_case(env: EventEnvelope, person_id: UUID, died_on: date, trigger: str) -> None:
        club = await ctx.pool.fetchval(_RECIPIENT, person_id, MONTHLY_BENEFITS)
        if club is None:
            return
        payload = {
            "case_id": str(funeral_case_id(person_id)), "person_id": str(person_id),
            "club_id": str(club), "scheme": "funeral_support", "opened_on": died_on.isoformat(),
            "trigger": trigger,
        }  # fmt: skip
        command = reaction_command("advocacy_funeral", env, "OpenEntitlementCase", payload)
        with contextlib.suppress(CaseExists):  # the other service reported the death first
            await routes.run(ctx, command)

    @projection.on(MemberLeft, opens=())
    async def left(_conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        if e.reason == "died":
            await open_case(env, e.person_id, e.left_on, "member_died")

    @projection.on(CareCaseClosed, opens=())
    async def closed(_conn: Connection, env: EventEnvelope, e: CareCaseClosed) -> None:
        if e.reason == "died":
            await open_case(env, e.person_id, e.closed_on, "care_case_closed")

    return projection
