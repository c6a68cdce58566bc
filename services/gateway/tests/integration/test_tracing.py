"""Trace context from HTTP through NATS into the service: the gateway's server span continues
the client's `traceparent`, the service's command span is its child, and the appended
event's `metadata.trace_context` carries the same trace (real NATS and Postgres, the
runtime's sample service)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import create_app
from gateway.auth import Role
from gateway.settings import GatewaySettings
from ishc_contracts import new_id
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_service import Balance, Deposit, OpenAccount, sample_service
from ishc_runtime.testing.spans import (
    hex_span,
    hex_trace,
    parent_of,
    parse_traceparent,
    recording_spans,
)
from ishc_runtime.testing.waiting import wait_until

from ..support import TEST_SECRET, auth, token

pytestmark = pytest.mark.integration

# Minted at import: they must outlive a slow, shared full run (about half an hour).
WHOLE_RUN = timedelta(hours=2)
ADMIN = token(Role.NATIONAL_ADMIN, clubs=(), ttl=WHOLE_RUN)
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    with recording_spans() as memory:
        yield memory


@pytest_asyncio.fixture(loop_scope="session")
async def sample(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str
) -> AsyncIterator[Service]:
    settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(sample_service(f"sample{stream_suffix}"), settings) as running:
        yield running


async def traced_calls(
    nc: Client, infrastructure: Infrastructure, service: str, headers: dict[str, str]
) -> tuple[str, str]:
    """Open an account through the gateway, then read its balance, with `headers`: the
    command's correlation id and its event's id."""
    app = create_app(
        GatewaySettings(
            dev_mode=True,
            jwt_hs256_secret=TEST_SECRET,
            nats_url=infrastructure.nats_url,
            services=(service,),
            club_directory=False,
            request_timeout_seconds=5.0,
        ),
        nc,
        extra_commands={service: (OpenAccount, Deposit)},
        extra_queries={service: (Balance,)},
    )
    account = str(new_id())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
        ) as http,
    ):
        opened = await http.post(
            f"/v1/{service}/commands/open-account",
            json={"account_id": account, "owner": "Lan"},
            headers={**auth(ADMIN), "Idempotency-Key": str(new_id()), **headers},
        )
        assert opened.status_code == 201, opened.text
        read = await http.get(
            f"/v1/{service}/queries/balance",
            params={"account_id": account},
            headers={**auth(ADMIN), **headers},
        )
        assert read.status_code in (200, 404), read.text
    return opened.headers["X-Correlation-Id"], str(opened.json()["event_ids"][0])


def ancestry(found: Sequence[ReadableSpan], span: ReadableSpan) -> list[str]:
    """Names of the span's ancestors among `found`, nearest first."""
    by_id = {hex_span(s): s for s in found}
    names = []
    current = parent_of(span)
    while current in by_id:
        names.append(by_id[current].name)
        current = parent_of(by_id[current])
    return names


def one(found: Sequence[ReadableSpan], name: str, trace_id: str) -> ReadableSpan:
    matching = [s for s in found if s.name == name and hex_trace(s) == trace_id]
    assert len(matching) == 1, f"{name} in trace {trace_id}: {[s.name for s in found]}"
    return matching[0]


async def event_trace_context(service: Service, event_id: str) -> dict[str, Any]:
    raw = await service.context.pool.fetchval(
        "SELECT metadata -> 'trace_context' FROM events WHERE event_id = $1::uuid", event_id
    )
    context: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return context


async def spans_of(
    exporter: InMemorySpanExporter, trace_id: str, *names: str
) -> list[ReadableSpan]:
    def finished() -> list[ReadableSpan]:
        return [s for s in exporter.get_finished_spans() if hex_trace(s) == trace_id]

    await wait_until(
        lambda: set(names) <= {s.name for s in finished()},
        message=f"spans {names} of trace {trace_id}",
    )
    return finished()


async def test_a_command_continues_the_clients_trace_into_the_service_and_its_event(
    exporter: InMemorySpanExporter,
    sample: Service,
    nats_client: Client,
    infrastructure: Infrastructure,
) -> None:
    name = sample.definition.name
    traceparent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
    correlation, event_id = await traced_calls(
        nats_client, infrastructure, name, {"traceparent": traceparent}
    )
    command_route = f"POST /v1/{name}/commands/open-account"
    query_route = f"GET /v1/{name}/queries/balance"
    found = await spans_of(
        exporter, CLIENT_TRACE, command_route, query_route, "dispatch.command", "dispatch.query"
    )

    # The gateway's span is the client's child; the service's spans are the gateway's.
    gateway = one(found, command_route, CLIENT_TRACE)
    assert parent_of(gateway) == CLIENT_SPAN
    assert gateway.attributes is not None
    assert gateway.attributes["http.route"] == f"/v1/{name}/commands/open-account"
    assert gateway.attributes["http.response.status_code"] == 201
    assert gateway.attributes["ishc.correlation_id"] == correlation
    # Between them only the gateway's own operation spans (FastAPI's endpoint span).
    dispatch = one(found, "dispatch.command", CLIENT_TRACE)
    assert ancestry(found, dispatch)[-1] == command_route
    assert ancestry(found, one(found, "dispatch.query", CLIENT_TRACE))[-1] == query_route

    # The event appended carries the trace, under a span of the service's command.
    trace_id, parent_id, flags = parse_traceparent(
        (await event_trace_context(sample, event_id))["traceparent"]
    )
    assert trace_id == CLIENT_TRACE
    assert int(flags, 16) & 0x01
    appending = next(s for s in found if hex_span(s) == parent_id)
    assert {"dispatch.command", command_route} <= set(ancestry(found, appending))


async def test_without_a_traceparent_the_gateway_starts_the_trace(
    exporter: InMemorySpanExporter,
    sample: Service,
    nats_client: Client,
    infrastructure: Infrastructure,
) -> None:
    name = sample.definition.name
    _, event_id = await traced_calls(nats_client, infrastructure, name, {})
    trace_id, _, _ = parse_traceparent((await event_trace_context(sample, event_id))["traceparent"])
    command_route = f"POST /v1/{name}/commands/open-account"
    found = await spans_of(exporter, trace_id, command_route, "dispatch.command")
    gateway = one(found, command_route, trace_id)
    assert gateway.parent is None  # a root: the trace begins at the edge
    assert ancestry(found, one(found, "dispatch.command", trace_id))[-1] == command_route


async def test_a_malformed_traceparent_starts_a_new_trace_and_the_request_succeeds(
    exporter: InMemorySpanExporter,
    sample: Service,
    nats_client: Client,
    infrastructure: Infrastructure,
) -> None:
    name = sample.definition.name
    _, event_id = await traced_calls(
        nats_client, infrastructure, name, {"traceparent": "00-zz-not-a-trace"}
    )
    trace_id, _, _ = parse_traceparent((await event_trace_context(sample, event_id))["traceparent"])
    assert trace_id != "0" * 32
    found = await spans_of(exporter, trace_id, f"POST /v1/{name}/commands/open-account")
    assert found
