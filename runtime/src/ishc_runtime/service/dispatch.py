"""The edge of a service: bytes in, a `Reply` out. Parse, validate, call, map errors.

Bad input is answered with a typed problem naming what is wrong; nothing is appended, and
the subscriber never crashes. Unexpected failures are logged and answered with a 500-type
problem that carries no internals.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.bounds import window_context
from ishc_contracts.errors import DomainError, FieldIssue, NotInScope, Problem, Reply
from ishc_runtime import faults
from ishc_runtime.idempotency import KeyScope
from ishc_runtime.observability import tracing
from ishc_runtime.privacy.seal import SubjectErased
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import CommandRoute, Routes
from ishc_runtime.store.eventstore import ConcurrencyError
from ishc_runtime.store.pool import discard_if_broken

log = structlog.get_logger(__name__)


def _issues(error: ValidationError, prefix: str = "") -> list[FieldIssue]:
    return [
        FieldIssue(
            field=prefix + (".".join(str(p) for p in e["loc"]) or "<body>"), message=e["msg"]
        )
        for e in error.errors(include_url=False, include_input=False)
    ]


def invalid(detail: str, issues: list[FieldIssue]) -> Reply:
    return Reply.failure(
        Problem(
            type="validation", title="Invalid request", status=422, detail=detail, errors=issues
        )
    )


def unknown(kind: str, name: str) -> Reply:
    return Reply.failure(
        Problem(
            type=f"unknown-{kind}",
            title=f"Unknown {kind}",
            status=404,
            detail=f"this service has no {kind} named {name!r}",
        )
    )


def _parse(
    ctx: ServiceContext, model: type[BaseModel], data: Any, prefix: str = ""
) -> BaseModel | Reply:
    """`data` as `model`; dates are checked against this service's clock (their windows end
    relative to today: `ishc_contracts.bounds`)."""
    try:
        return model.model_validate(data, context=window_context(ctx.clock.now()))
    except ValidationError as error:
        return invalid(f"{model.__name__} is not valid", _issues(error, prefix))


async def dispatch_command(ctx: ServiceContext, routes: Routes, raw: bytes) -> Reply:
    try:
        envelope = CommandEnvelope.model_validate_json(raw)
    except ValidationError as error:
        return invalid("not a command envelope", _issues(error))
    route = routes.commands.get(envelope.type)
    if route is None:
        return unknown("command", envelope.type)
    payload = _parse(ctx, route.payload, envelope.payload, "payload.")
    if isinstance(payload, Reply):
        return payload
    log_ctx = structlog.contextvars.bound_contextvars(
        command=envelope.type,
        command_id=str(envelope.command_id),
        correlation_id=str(envelope.correlation_id),
    )
    with (
        log_ctx,
        tracing.continued_from(envelope.trace_context),
        tracing.span("dispatch.command", command=envelope.type),
    ):
        reply = await _guarded(ctx, lambda: _owned_then(ctx, route, envelope, payload))
    if reply.ok:
        # The append has committed and the caller has no answer yet: a crash here leaves
        # it an unknown outcome, which it resolves by retrying with the same command_id.
        faults.hit("command.after_commit")
    return reply


async def _owned_then(
    ctx: ServiceContext, route: CommandRoute, envelope: CommandEnvelope, payload: Any
) -> dict[str, Any]:
    """The handler, once the command's objects are found in the club it acts for."""
    if ctx.ownership is not None:
        async with ctx.pool.acquire() as conn:
            try:
                await ctx.ownership.check(conn, envelope, payload)
            except NotInScope:
                # A retry of a command that succeeded, whose object has moved on since (the
                # member has left): its first answer stands. Checked when it first ran.
                scope = KeyScope.of(envelope)
                if await ctx.store.command_result(envelope.command_id, conn, scope=scope) is None:
                    raise
    return await route.handler(ctx, envelope, payload)


async def dispatch_query(ctx: ServiceContext, routes: Routes, raw: bytes) -> Reply:
    try:
        envelope = QueryEnvelope.model_validate_json(raw)
    except ValidationError as error:
        return invalid("not a query envelope", _issues(error))
    route = routes.queries.get(envelope.type)
    if route is None:
        return unknown("query", envelope.type)
    params = _parse(ctx, route.params, envelope.params, "params.")
    if isinstance(params, Reply):
        return params
    with (
        tracing.continued_from(envelope.trace_context),
        tracing.span("dispatch.query", query=envelope.type),
    ):
        return await _guarded(ctx, lambda: route.handler(ctx, envelope, params))


async def _guarded(ctx: ServiceContext, call: Any) -> Reply:
    try:
        return Reply.success(await call())
    except DomainError as error:
        return Reply.failure(error.problem())
    except ConcurrencyError as error:
        return Reply.failure(
            Problem(
                type="conflict",
                title="Changed by someone else meanwhile",
                status=409,
                detail=str(error),
                extra={"stream_id": error.stream_id, "expected_version": error.expected},
            )
        )
    except SubjectErased as error:
        # Personal data of an erased person is not taken in again (ADR 0051).
        return Reply.failure(
            Problem(
                type="subject-erased",
                title="This person's data was erased",
                status=410,
                detail=str(error),
            )
        )
    except Exception as error:
        log.exception("dispatch.failed")
        await discard_if_broken(ctx.pool, error)
        return internal_failure()


def internal_failure() -> Reply:
    """The answer to a request that failed for a reason of ours: safe to retry, naming
    nothing of the request."""
    return Reply.failure(
        Problem(
            type="internal",
            title="Internal error",
            status=500,
            detail="the request could not be completed; it is safe to retry it",
        )
    )
