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
from ishc_runtime.privacy.transport import MAGIC, TransportKey

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
    nc: NatsClient,
    service: str,
    command: CommandEnvelope,
    *,
    timeout: float = 10.0,
    transport: TransportKey | None = None,
) -> Reply:
    """`transport`: seal the command and open the reply (they may carry personal data)."""
    command = traced(command)
    return await _request(
        nc,
        service,
        subjects.command_subject(service, command.type),
        command.model_dump_json(),
        timeout,
        transport,
    )


async def ask(
    nc: NatsClient,
    service: str,
    query: QueryEnvelope,
    *,
    timeout: float = 10.0,
    transport: TransportKey | None = None,
) -> Reply:
    query = traced(query)
    subject = subjects.query_subject(service, query.type)
    return await _request(nc, service, subject, query.model_dump_json(), timeout, transport)


def traced(envelope: E) -> E:
    """The envelope with the current trace context, unless it already carries one."""
    if envelope.trace_context:
        return envelope
    context = tracing.inject()
    return envelope.model_copy(update={"trace_context": context}) if context else envelope


def reply_subject(subject: str) -> str:
    """The associated data a reply to `subject` is sealed with (replies go to inboxes)."""
    return f"{subject}.reply"


async def _request(
    nc: NatsClient,
    service: str,
    subject: str,
    body: str,
    timeout: float,
    transport: TransportKey | None = None,
) -> Reply:
    data = body.encode() if transport is None else transport.seal(body.encode(), subject)
    try:
        reply = await nc.request(subject, data, timeout=timeout)
    except NoRespondersError:
        return unavailable(service, "no responders")
    except NatsTimeoutError:
        return unavailable(service, "timeout")
    if transport is None or not reply.data.startswith(MAGIC):
        # A service without the key answers in clear (and could not read a sealed request:
        # its answer says so).
        return Reply.model_validate_json(reply.data)
    return Reply.model_validate_json(transport.open(reply.data, reply_subject(subject)))
