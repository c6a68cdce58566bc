"""Entitlement-case handlers; the SLA timer is set when the application is submitted."""

from __future__ import annotations

from typing import Any

from advocacy.application.aggregates import CASE, SCREENING
from advocacy.application.routes import routes
from advocacy.application.timers import schedule_deadline_check
from advocacy.domain import case
from advocacy.domain.policy_table import TABLE
from advocacy.reference.calendar import calendar_around
from ishc_contracts import CommandEnvelope
from ishc_contracts.advocacy.commands import (
    CheckSubmissionDeadline,
    CloseEntitlementCase,
    ConfirmPayment,
    FileAppeal,
    MarkDocumentsReady,
    OpenEntitlementCase,
    RecordDecision,
    RecordSubmission,
)
from ishc_runtime.commands import Target
from ishc_runtime.consent import SHARE_WITH_COMMUNE, require_consent
from ishc_runtime.service import ServiceContext


@routes.command(OpenEntitlementCase)
async def open_case(
    ctx: ServiceContext, env: CommandEnvelope, cmd: OpenEntitlementCase
) -> dict[str, Any]:
    stream = CASE.stream_id(cmd.case_id)
    if cmd.screening_id is None:
        return await ctx.processor.handle(env, CASE, stream, lambda s: case.open_case(s, cmd, None))
    screened = SCREENING.stream_id(cmd.screening_id)
    return await ctx.processor.handle_many(
        env,
        [Target(CASE, stream), Target(SCREENING, screened)],
        lambda states: {stream: case.open_case(states[stream], cmd, states[screened].screened)},
    )


routes.decides(MarkDocumentsReady, CASE, lambda c: c.case_id, case.mark_documents_ready)


@routes.command(RecordSubmission)
async def submit(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordSubmission
) -> dict[str, Any]:
    stream = CASE.stream_id(cmd.case_id)
    # A submission hands the person's file to a public office (the commune People's
    # Committee, ...): their consent to share must hold on the day it is handed over.
    person = (await ctx.repository.load(CASE, stream)).state.person_id
    if person is not None:  # an unknown case is refused by the decision itself
        await require_consent(
            ctx.pool, person, SHARE_WITH_COMMUNE, cmd.submitted_on, field="office"
        )
    calendar = calendar_around(cmd.submitted_on)
    result = await ctx.processor.handle(
        env, CASE, stream, lambda s: case.submit(s, cmd, TABLE, calendar)
    )
    # Also on a repeat (duplicate): a crash between the append and this line is healed by
    # the client's retry. The key makes it once.
    state = (await ctx.repository.load(CASE, stream)).state
    if state.stage == "submitted" and state.decision_due_on is not None:
        check_on = case.overdue_check_date(state.decision_due_on)
        await schedule_deadline_check(ctx, env, cmd.case_id, state.club_id, check_on)
    return result


@routes.command(CheckSubmissionDeadline)
async def check_deadline(
    ctx: ServiceContext, env: CommandEnvelope, cmd: CheckSubmissionDeadline
) -> dict[str, Any]:
    stream = CASE.stream_id(cmd.case_id)
    return await ctx.processor.handle(
        env, CASE, stream, lambda s: case.check_deadline(s, cmd.case_id, cmd.as_of)
    )


routes.decides(RecordDecision, CASE, lambda c: c.case_id, case.decide)
routes.decides(FileAppeal, CASE, lambda c: c.case_id, case.appeal)
routes.decides(ConfirmPayment, CASE, lambda c: c.case_id, case.confirm_payment)
routes.decides(CloseEntitlementCase, CASE, lambda c: c.case_id, case.close)
