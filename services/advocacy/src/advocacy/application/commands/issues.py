"""Collective-voice handlers: issues, petitions, authorities' answers, awareness sessions."""

from __future__ import annotations

from typing import Any

from advocacy.application.aggregates import ISSUE, SESSION
from advocacy.application.routes import routes
from advocacy.domain import issue
from ishc_contracts import CommandEnvelope
from ishc_contracts.advocacy.commands import (
    RaiseIssue,
    RecordAuthorityResponse,
    RecordAwarenessSession,
    SubmitPetition,
)
from ishc_runtime.service import ServiceContext


@routes.command(RaiseIssue)
async def raise_issue(ctx: ServiceContext, env: CommandEnvelope, cmd: RaiseIssue) -> dict[str, Any]:
    stream = ISSUE.stream_id(cmd.issue_id)
    return await ctx.processor.handle(env, ISSUE, stream, lambda s: issue.raise_issue(s, cmd))


@routes.command(SubmitPetition)
async def submit_petition(
    ctx: ServiceContext, env: CommandEnvelope, cmd: SubmitPetition
) -> dict[str, Any]:
    stream = ISSUE.stream_id(cmd.issue_id)
    return await ctx.processor.handle(env, ISSUE, stream, lambda s: issue.submit_petition(s, cmd))


@routes.command(RecordAuthorityResponse)
async def record_response(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordAuthorityResponse
) -> dict[str, Any]:
    stream = ISSUE.stream_id(cmd.issue_id)
    return await ctx.processor.handle(env, ISSUE, stream, lambda s: issue.record_response(s, cmd))


@routes.command(RecordAwarenessSession)
async def record_session(
    ctx: ServiceContext, env: CommandEnvelope, cmd: RecordAwarenessSession
) -> dict[str, Any]:
    stream = SESSION.stream_id(cmd.session_id)
    return await ctx.processor.handle(env, SESSION, stream, lambda s: issue.record_session(s, cmd))
