"""Servicing commands: arrears (fired by the scheduler), pauses, write-off, deceased borrower."""

from __future__ import annotations

from typing import Any

from finance.application import facts
from finance.application.aggregates import LOAN
from finance.application.commands.loans import end_loan
from finance.application.routes import routes
from finance.application.timers import schedule_assessment
from finance.domain import servicing
from ishc_contracts import CommandEnvelope
from ishc_contracts.finance.commands import (
    AssessArrears,
    OpenDeceasedBorrowerCase,
    PauseDelinquency,
    WriteOffLoan,
)
from ishc_runtime.service import ServiceContext


@routes.command(AssessArrears)
async def assess(ctx: ServiceContext, env: CommandEnvelope, cmd: AssessArrears) -> dict[str, Any]:
    """Emit what changed on `as_of`, then set a timer for the next bucket boundary."""
    stream = LOAN.stream_id(cmd.loan_id)
    result = await ctx.processor.handle(
        env, LOAN, stream, lambda s: servicing.assess_arrears(s, cmd.loan_id, cmd.as_of)
    )
    state = (await ctx.repository.load(LOAN, stream)).state
    following = servicing.next_assessment(state, cmd.as_of)
    if following is not None:
        await schedule_assessment(ctx, cmd.loan_id, following)
    return result


routes.decides(PauseDelinquency, LOAN, lambda c: c.loan_id, servicing.pause)


@routes.command(WriteOffLoan)
async def write_off(ctx: ServiceContext, env: CommandEnvelope, cmd: WriteOffLoan) -> dict[str, Any]:
    decision = await facts.decision(ctx, cmd.decision_id)
    return await end_loan(
        ctx,
        env,
        cmd.loan_id,
        lambda s: servicing.write_off(s, cmd, decision),
        cmd.written_off_on,
        "written_off",
    )


@routes.command(OpenDeceasedBorrowerCase)
async def open_case(
    ctx: ServiceContext, env: CommandEnvelope, cmd: OpenDeceasedBorrowerCase
) -> dict[str, Any]:
    stream = LOAN.stream_id(cmd.loan_id)
    return await ctx.processor.handle(
        env, LOAN, stream, lambda s: servicing.open_deceased_case(s, cmd.loan_id, cmd.died_on)
    )
