"""Membership events → care commands.

- `MemberLeft(reason=died)` closes every open case of that person (`CloseCase`, reason died),
  which emits `CareCaseClosed(died)` for advocacy's funeral support.
- A volunteer's membership ending (any reason) flags each case they were assigned to
  (`FlagVolunteerLeft` → `VolunteerReassignmentNeeded`) so the board assigns someone else.

The lookup tables (who is which volunteer, who is on which case) are this reaction's own,
built from the same streams. Membership and care streams are consumed independently: a
person who dies before their referral has reached this projection is not found (an operator
closes that case by hand; the case list shows it).
"""

from __future__ import annotations

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
from ishc_contracts.membership.events import MemberLeft, VolunteerRegistered
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.reactions import reaction_command
from ishc_runtime.store.pool import Connection

log = structlog.get_logger(__name__)
TABLES = ["care_reaction_cases", "care_reaction_volunteers", "care_reaction_assignments"]


def membership_reactions(ctx: ServiceContext) -> Projection:
    projection = Projection(
        name="care_membership_reactions",
        sources=["membership", "care"],
        policy="park",
        tables=TABLES,
    )
    on = projection.on

    @on(CareReferralReceived)
    async def referred(conn: Connection, env: EventEnvelope, e: CareReferralReceived) -> None:
        await conn.execute(
            "INSERT INTO care_reaction_cases (case_id, person_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            e.case_id,
            e.person_id,
        )

    @on(CareCaseClosed)
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

    @on(VolunteerReassignmentNeeded)
    async def unassigned(
        conn: Connection, env: EventEnvelope, e: VolunteerReassignmentNeeded
    ) -> None:
        await conn.execute(
            "DELETE FROM care_reaction_assignments WHERE case_id = $1 AND volunteer_id = $2",
            e.case_id,
            e.volunteer_id,
        )

    @on(VolunteerRegistered)
    async def registered(conn: Connection, env: EventEnvelope, e: VolunteerRegistered) -> None:
        await conn.execute(
            "INSERT INTO care_reaction_volunteers (volunteer_id, person_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            e.volunteer_id,
            e.person_id,
        )

    @on(MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        if e.reason == "died":
            for row in await conn.fetch(
                "SELECT case_id FROM care_reaction_cases WHERE person_id = $1 AND open",
                e.person_id,
            ):
                payload = {"case_id": str(row["case_id"]), "closed_on": e.left_on.isoformat()}
                await _run(
                    ctx, f"care_member_died:{row['case_id']}", env, "CloseCase",
                    {**payload, "reason": "died"},
                )  # fmt: skip
        for row in await conn.fetch(
            "SELECT a.case_id, a.volunteer_id FROM care_reaction_assignments a"
            " JOIN care_reaction_volunteers v USING (volunteer_id) WHERE v.person_id = $1",
            e.person_id,
        ):
            payload = {
                "case_id": str(row["case_id"]),
                "volunteer_id": str(row["volunteer_id"]),
                "left_on": e.left_on.isoformat(),
            }
            name = f"care_volunteer_left:{row['case_id']}:{row['volunteer_id']}"
            await _run(ctx, name, env, "FlagVolunteerLeft", payload)

    return projection


async def _run(
    ctx: ServiceContext, reaction: str, cause: EventEnvelope, kind: str, payload: dict[str, str]
) -> None:
    """One command per (reaction, causing event): its id is derived, so replays append once.
    A refusal (the case was closed by hand meanwhile) is logged, not retried."""
    try:
        await routes.run(ctx, reaction_command(reaction, cause, kind, payload))
    except DomainError as refused:
        log.info("care.reaction_refused", reaction=reaction, command=kind, reason=str(refused))
