"""Membership events → care commands.

- `MemberLeft(reason=died)` closes every open case of that person (`CloseCase`, reason died),
  which emits `CareCaseClosed(died)` for advocacy's funeral support.
- A volunteer's membership ending (any reason) flags each case they were assigned to
  (`FlagVolunteerLeft` → `VolunteerReassignmentNeeded`) so the board assigns someone else.

The lookup tables (who is which volunteer, who is on which case) are this reaction's own,
built from the same streams. Membership and care streams are consumed independently, so
either may arrive first: departures are remembered (`care_reaction_departed`), and a referral
or an assignment that arrives after its person's departure is acted on then.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import structlog

from care.application.routes import routes
from ishc_contracts import EventEnvelope
from ishc_contracts.care.events import (
    CareCaseClosed,
    CareReferralReceived,
    VolunteerReassignmentNeeded,
    VolunteersAssigned,
)
from ishc_contracts.errors import DomainError
from ishc_contracts.membership.events import MemberJoined, MemberLeft, VolunteerRegistered
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.reactions import reaction_command
from ishc_runtime.store.pool import Connection

log = structlog.get_logger(__name__)
TABLES = [
    "care_reaction_cases",
    "care_reaction_volunteers",
    "care_reaction_assignments",
    "care_reaction_departed",
]


def membership_reactions(ctx: ServiceContext) -> Projection:
    projection = Projection(
        name="care_membership_reactions",
        sources=["membership", "care"],
        policy="park",
        tables=TABLES,
    )
    on = projection.on

    @on(CareReferralReceived, opens=())
    async def referred(conn: Connection, env: EventEnvelope, e: CareReferralReceived) -> None:
        await conn.execute(
            "INSERT INTO care_reaction_cases (case_id, person_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            e.case_id,
            e.person_id,
        )
        died_on = await conn.fetchval(
            "SELECT left_on FROM care_reaction_departed WHERE person_id = $1 AND died",
            e.person_id,
        )
        if died_on is not None:
            await _close_for_death(ctx, env, e.case_id, died_on)

    @on(CareCaseClosed, opens=())
    async def closed(conn: Connection, env: EventEnvelope, e: CareCaseClosed) -> None:
        await conn.execute(
            "UPDATE care_reaction_cases SET open = false WHERE case_id = $1", e.case_id
        )

    @on(VolunteersAssigned)
    async def assigned(conn: Connection, env: EventEnvelope, e: VolunteersAssigned) -> None:
        await conn.execute("DELETE FROM care_reaction_assignments WHERE case_id = $1", e.case_id)
        await conn.executemany(
            "INSERT INTO care_reaction_assignments (case_id, volunteer_id) VALUES ($1, $2)",
            [(e.case_id, v) for v in e.volunteer_ids],
        )
        for row in await conn.fetch(
            "SELECT v.volunteer_id, d.left_on FROM care_reaction_volunteers v"
            " JOIN care_reaction_departed d USING (person_id) WHERE v.volunteer_id = ANY($1)",
            list(e.volunteer_ids),
        ):
            await _flag(ctx, env, e.case_id, row["volunteer_id"], row["left_on"])

    @on(VolunteerReassignmentNeeded)
    async def unassigned(
        conn: Connection, env: EventEnvelope, e: VolunteerReassignmentNeeded
    ) -> None:
        await conn.execute(
            "DELETE FROM care_reaction_assignments WHERE case_id = $1 AND volunteer_id = $2",
            e.case_id,
            e.volunteer_id,
        )

    @on(VolunteerRegistered, opens=())
    async def registered(conn: Connection, env: EventEnvelope, e: VolunteerRegistered) -> None:
        await conn.execute(
            "INSERT INTO care_reaction_volunteers (volunteer_id, person_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            e.volunteer_id,
            e.person_id,
        )

    @on(MemberJoined, opens=())
    async def joined(conn: Connection, env: EventEnvelope, e: MemberJoined) -> None:
        # Joining (again) after leaving: no longer departed.
        await conn.execute(
            "DELETE FROM care_reaction_departed WHERE person_id = $1 AND NOT died", e.person_id
        )

    @on(MemberLeft, opens=())
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        await conn.execute(
            "INSERT INTO care_reaction_departed (person_id, left_on, died) VALUES ($1, $2, $3)"
            " ON CONFLICT (person_id) DO UPDATE SET left_on = $2, died = $3",
            e.person_id, e.left_on, e.reason == "died",
        )  # fmt: skip
        if e.reason == "died":
            for row in await conn.fetch(
                "SELECT case_id FROM care_reaction_cases WHERE person_id = $1 AND open",
                e.person_id,
            ):
                await _close_for_death(ctx, env, row["case_id"], e.left_on)
        for row in await conn.fetch(
            "SELECT a.case_id, a.volunteer_id FROM care_reaction_assignments a"
            " JOIN care_reaction_volunteers v USING (volunteer_id) WHERE v.person_id = $1",
            e.person_id,
        ):
            await _flag(ctx, env, row["case_id"], row["volunteer_id"], e.left_on)

    return projection


async def _close_for_death(
    ctx: ServiceContext, cause: EventEnvelope, case_id: UUID, on: date
) -> None:
    payload = {"case_id": str(case_id), "closed_on": on.isoformat(), "reason": "died"}
    await _run(ctx, f"care_member_died:{case_id}", cause, "CloseCase", payload)


async def _flag(
    ctx: ServiceContext, cause: EventEnvelope, case_id: UUID, volunteer_id: UUID, on: date
) -> None:
    payload = {
        "case_id": str(case_id), "volunteer_id": str(volunteer_id), "left_on": on.isoformat(),
    }  # fmt: skip
    name = f"care_volunteer_left:{case_id}:{volunteer_id}"
    await _run(ctx, name, cause, "FlagVolunteerLeft", payload)


async def _run(
    ctx: ServiceContext, reaction: str, cause: EventEnvelope, kind: str, payload: dict[str, str]
) -> None:
    """One command per (reaction, causing event): its id is derived, so replays append once.
    A refusal (the case was closed by hand meanwhile) is logged, not retried."""
    try:
        await routes.run(ctx, reaction_command(reaction, cause, kind, payload))
    except DomainError as refused:
        log.info("care.reaction_refused", reaction=reaction, command=kind, reason=str(refused))
