"""Reactions to membership's events: a borrower who died leaves a case for the board."""

from __future__ import annotations

from finance.application.routes import routes
from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import MemberLeft
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.reactions import reaction_command
from ishc_runtime.store.pool import Connection


def deceased_borrowers(ctx: ServiceContext) -> Projection:
    """MemberLeft(died) with a loan outstanding → OpenDeceasedBorrowerCase on each such loan.

    The loans come from finance's loan book; the command id derives from the event and the
    loan, so redelivery opens each case once."""
    projection = Projection(
        name="finance_deceased_borrowers", sources=["membership"], policy="stop"
    )

    @projection.on(MemberLeft)
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        if e.reason != "died":
            return
        loans = await conn.fetch(
            "SELECT loan_id FROM finance_loans WHERE member_id = $1 AND status = 'active'",
            e.member_id,
        )
        for row in loans:
            payload = {
                "loan_id": str(row["loan_id"]),
                "member_id": str(e.member_id),
                "died_on": e.left_on.isoformat(),
            }
            command = reaction_command(
                f"finance_deceased_borrowers:{row['loan_id']}",
                env,
                "OpenDeceasedBorrowerCase",
                payload,
            )
            await routes.run(ctx, command)

    return projection
