"""Calling a service over NATS request/reply (the gateway and other services use this).

The caller's trace context rides in the envelope (`trace_context`), so the service's span is
a child of the caller's and the events it appends carry the same trace."""

from __future__ import annotations

from typing import TypeVar

from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from ishc_contracts import CommandEnvelope, QueryEnvelope, subjects
from ishc_contracts.errors import Problem, Reply
from ishc_runtime.observability import tracing

E = TypeVar("E", CommandEnvelope, QueryEnvelope)


def unavailable(service: str, why: str) -> Reply:
    return Reply.failure(
        Problem(
            type="service-unavailable",
            title="Service unavailable",
            status=503,
            detail=f"{service} did not answer ({why}); retry with the same Idempotency-Key",
            extra={"retry_after": 2},
        )
    )


async def send_command(
    nc: NatsClient, service: str, command: CommandEnvelope, *, timeout: float = 10.0
) -> Reply:
    command = traced(command)
    return await _request(
        nc,
        service,
        subjects.command_subject(service, command.type),
        command.model_dump_json(),
        timeout,
    )


async def ask(
    nc: NatsClient, service: str, query: QueryEnvelope, *, timeout: float = 10.0
) -> Reply:
    query = traced(query)
    return await _request(
        nc, service, subjects.query_subject(service, query.type), query.model_dump_json(), timeout
    )


def traced(envelope: E) -> E:
    """The envelope with the current trace context, unless it already carries one."""
    if envelope.trace_context:
        return envelope
    context = tracing.inject()
    return envelope.model_copy(update={"trace_context": context}) if context else envelope


async def _request(nc: NatsClient, service: str, subject: str, body: str, timeout: float) -> Reply:
    try:
        reply = await nc.request(subject, body.encode(), timeout=timeout)
    except NoRespondersError:
        return unavailable(service, "no responders")
    except NatsTimeoutError:
        return unavailable(service, "timeout")
    return Reply.model_validate_json(reply.data)
