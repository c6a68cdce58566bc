"""Loan lifecycle commands: apply, approve, disburse (loan + fund atomically), repay."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from finance.application import facts
from finance.application.aggregates import BORROWER, FUND, LOAN
from finance.application.routes import routes
from finance.application.timers import schedule_assessment
from finance.domain import borrower, fund, loan, repayment, servicing
from ishc_contracts import CommandEnvelope, Event
from ishc_contracts.finance.commands import (
    ApproveLoan,
    DisburseLoan,
    PostRepayment,
    RejectLoanApplication,
    SubmitLoanApplication,
)
from ishc_contracts.finance.events import LoanOutcome
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.clock import vn_date
from ishc_runtime.commands import Target
from ishc_runtime.service import ServiceContext


@routes.command(SubmitLoanApplication)
async def submit(
    ctx: ServiceContext, env: CommandEnvelope, cmd: SubmitLoanApplication
) -> dict[str, Any]:
    """The loan and the member's borrower stream are appended together: two applications of
    one member at the same moment conflict, and the retry counts the first."""
    member = await facts.member(ctx, cmd.member_id)
    terms = await facts.product_terms(ctx, cmd.club_id, cmd.applied_on)
    loan_stream, borrower_stream = LOAN.stream_id(cmd.loan_id), BORROWER.stream_id(cmd.member_id)

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        holds = len(states[borrower_stream].open_loans)
        applied = loan.apply(states[loan_stream], cmd, member, holds, terms)
        opened = borrower.open_loan(cmd.member_id, cmd.club_id, cmd.loan_id, cmd.applied_on)
        return {loan_stream: applied, borrower_stream: opened}

    targets = [Target(LOAN, loan_stream), Target(BORROWER, borrower_stream)]
    return await ctx.processor.handle_many(env, targets, decide)


@routes.command(RejectLoanApplication)
async def reject(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RejectLoanApplication
) -> dict[str, Any]:
    return await end_loan(
        ctx, env, cmd.loan_id, lambda s: loan.reject(s, cmd), cmd.rejected_on, "rejected"
    )


async def end_loan(
    ctx: ServiceContext,
    env: CommandEnvelope,
    loan_id: UUID,
    decide: Callable[[loan.Loan], Sequence[Event]],
    ended_on: date,
    outcome: LoanOutcome,
) -> dict[str, Any]:
    """A decision that ends a loan (rejected, written off), appended atomically with the
    loan closed on the member's borrower stream."""
    loan_stream = LOAN.stream_id(loan_id)
    club_id, _, member_id = (await ctx.repository.load(LOAN, loan_stream)).state.ids()
    borrower_stream = BORROWER.stream_id(member_id)

    def both(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        closed = borrower.close_loan(
            states[borrower_stream], member_id, club_id, loan_id, ended_on, outcome
        )
        return {loan_stream: decide(states[loan_stream]), borrower_stream: closed}

    targets = [Target(LOAN, loan_stream), Target(BORROWER, borrower_stream)]
    return await ctx.processor.handle_many(env, targets, both)


@routes.command(ApproveLoan)
async def approve(ctx: ServiceContext, env: CommandEnvelope, cmd: ApproveLoan) -> dict[str, Any]:
    decision = await facts.decision(ctx, cmd.decision_id)
    current = await ctx.repository.load(LOAN, LOAN.stream_id(cmd.loan_id))
    club_id, _, _ = current.state.ids()
    terms = await facts.product_terms(ctx, club_id, cmd.approved_on)
    return await ctx.processor.handle(
        env, LOAN, LOAN.stream_id(cmd.loan_id), lambda s: loan.approve(s, cmd, decision, terms)
    )


@routes.command(DisburseLoan)
async def disburse(ctx: ServiceContext, env: CommandEnvelope, cmd: DisburseLoan) -> dict[str, Any]:
    """The loan stream and the fund stream are appended together at their expected versions:
    two disbursements racing for the same cash conflict, and the retry sees the new balance."""
    loan_stream = LOAN.stream_id(cmd.loan_id)
    club_id, fund_id, _ = (await ctx.repository.load(LOAN, loan_stream)).state.ids()
    day = await facts.meeting_day(ctx, club_id)
    fund_stream = FUND.stream_id(fund_id)

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        state: loan.Loan = states[loan_stream]
        club, fund_id_, member = state.ids()
        issued = loan.issue(state, cmd.loan_id, cmd.disbursed_on, day)
        out = fund.disburse(
            states[fund_stream],
            fund_id_,
            club,
            cmd.loan_id,
            member,
            state.principal,
            cmd.disbursed_on,
        )
        return {loan_stream: issued, fund_stream: out}

    result = await ctx.processor.handle_many(
        env, [Target(LOAN, loan_stream), Target(FUND, fund_stream)], decide
    )
    issued = (await ctx.repository.load(LOAN, loan_stream)).state
    for item in issued.schedule:
        await schedule_assessment(
            ctx, cmd.loan_id, item.due_on + timedelta(days=1), str(item.number)
        )
    return result


@routes.command(PostRepayment)
async def repay(ctx: ServiceContext, env: CommandEnvelope, cmd: PostRepayment) -> dict[str, Any]:
    """Principal goes back to the revolving fund, interest to the activity fund, atomically
    with the repayment."""
    loan_stream = LOAN.stream_id(cmd.loan_id)
    club_id, fund_id, member_id = (await ctx.repository.load(LOAN, loan_stream)).state.ids()
    fund_stream, borrower_stream = FUND.stream_id(fund_id), BORROWER.stream_id(member_id)
    activity_id = fund_id_for(club_id, "activity")
    activity_stream = FUND.stream_id(activity_id)

    today = vn_date(ctx.clock.now())

    def decide(states: Mapping[str, Any]) -> dict[str, Sequence[Event]]:
        decided = repayment.repay(
            states[loan_stream],
            states[fund_stream],
            states[activity_stream],
            states[borrower_stream],
            cmd,
            today,
        )
        moved = {
            fund_stream: decided.revolving_fund,
            activity_stream: decided.activity_fund,
            borrower_stream: decided.borrower,
        }
        return {loan_stream: decided.loan, **{s: e for s, e in moved.items() if e}}

    targets = [
        Target(LOAN, loan_stream),
        Target(FUND, fund_stream),
        Target(FUND, activity_stream),
        Target(BORROWER, borrower_stream),
    ]
    result = await ctx.processor.handle_many(env, targets, decide)
    # A late repayment may have moved the oldest unpaid installment: the next bucket boundary
    # is counted from it (the timer key is by date, so setting it twice is harmless).
    state = (await ctx.repository.load(LOAN, loan_stream)).state
    following = servicing.next_assessment(state, max(today, cmd.received_on))
    if state.bucket is not None and following is not None:
        await schedule_assessment(ctx, cmd.loan_id, following)
    return result
