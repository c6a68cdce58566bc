"""Reactions to membership's events: a borrower who died leaves a case for the board."""

from __future__ import annotations

from finance.application.aggregates import BORROWER
from finance.application.routes import routes
from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import MemberLeft
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.reactions import reaction_command
from ishc_runtime.store.pool import Connection


def deceased_borrowers(ctx: ServiceContext) -> Projection:
    """MemberLeft(died) with a loan outstanding → OpenDeceasedBorrowerCase on each such loan.

    The loans come from the member's borrower stream (the write side, not a read model); the
    command id derives from the event and the loan, so redelivery opens each case once."""
    projection = Projection(
        name="finance_deceased_borrowers", sources=["membership"], policy="stop"
    )

    @projection.on(MemberLeft, opens=())
    async def left(conn: Connection, env: EventEnvelope, e: MemberLeft) -> None:
        if e.reason != "died":
            return
        held = await ctx.repository.load(BORROWER, BORROWER.stream_id(e.member_id))
        for loan_id in held.state.open_loans:  # an undisbursed one gets no case (nothing owed)
            payload = {
                "loan_id": str(loan_id),
                "member_id": str(e.member_id),
                "died_on": e.left_on.isoformat(),
            }
            command = reaction_command(
                f"finance_deceased_borrowers:{loan_id}",
                env,
                "OpenDeceasedBorrowerCase",
                payload,
            )
            await routes.run(ctx, command)

    return projection
