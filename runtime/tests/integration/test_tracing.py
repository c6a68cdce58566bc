"""Trace context follows a command: command → append → relay → NATS headers → consumers.

The tracer provider is the process-wide one (OpenTelemetry allows installing it once), with an
in-memory exporter added for these tests; each test looks only at spans of its own traces or
of its own stream, so spans of other tests running in the same process do not confuse it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client
from nats.js.api import RawStreamMsg
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventEnvelope, new_id
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.projections.projection import Projection
from ishc_runtime.projections.runner import ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.testing.background import running
from ishc_runtime.testing.published import message_count
from ishc_runtime.testing.sample_domain import ACCOUNT, Deposited, deposit, open_account
from ishc_runtime.testing.spans import (
    hex_span,
    hex_trace,
    parent_of,
    parse_traceparent,
    recording_spans,
)
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    with recording_spans() as memory:
        yield memory


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    exporter.clear()
    return exporter


def named(found: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in found if span.name == name]


async def deposit_in_a_request(processor: CommandProcessor) -> tuple[trace.Span, str]:
    """Open an account and deposit, both inside one parent span (an HTTP request, say)."""
    stream = ACCOUNT.stream_id(new_id())
    tracer = trace.get_tracer("ishc.tests")
    with tracer.start_as_current_span("gateway.request") as parent:
        for kind, decide in (
            ("Open", lambda s: open_account(s, "Hoa")),
            ("Deposit", lambda s: deposit(s, 20_000)),
        ):
            command = CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR)
            await processor.handle(command, ACCOUNT, stream, decide)
    return parent, stream


async def publish_all(pool: asyncpg.Pool, nats_client: Client, service: str, count: int) -> Relay:
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    await relay.ensure_stream()
    async with running(relay.run):

        async def published() -> bool:
            return await message_count(nats_client, relay.config.stream) >= count

        await wait_until(published, message=f"the relay publishes {count} events")
    return relay


async def stored_messages(nats_client: Client, stream: str) -> list[RawStreamMsg]:
    js = nats_client.jetstream()
    info = await js.stream_info(stream)
    return [
        await js.get_msg(stream, seq=seq)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]


async def test_published_headers_carry_the_trace_of_the_command_that_appended(
    spans: InMemorySpanExporter,
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    nats_client: Client,
    service: str,
) -> None:
    parent, _ = await deposit_in_a_request(processor)
    relay = await publish_all(pool, nats_client, service, 2)

    messages = await stored_messages(nats_client, relay.config.stream)
    finished = spans.get_finished_spans()
    commands = [s for s in named(finished, "command") if hex_trace(s) == hex_trace(parent)]
    assert len(commands) == 2
    assert len(messages) == 2
    for message, command in zip(messages, commands, strict=True):
        headers = message.headers or {}
        assert "traceparent" in headers, f"no trace context in {sorted(headers)}"
        trace_id, parent_id, flags = parse_traceparent(headers["traceparent"])
        assert trace_id == hex_trace(parent)
        # The consumer's spans will hang under the command that decided the event.
        assert parent_id == hex_span(command)
        assert int(flags, 16) & 0x01  # sampled, so the rest of the trace is recorded too


async def test_command_append_and_publish_spans_are_recorded(
    spans: InMemorySpanExporter,
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    nats_client: Client,
    service: str,
) -> None:
    parent, _ = await deposit_in_a_request(processor)
    relay = await publish_all(pool, nats_client, service, 2)

    finished = spans.get_finished_spans()
    in_request = [s for s in finished if hex_trace(s) == hex_trace(parent)]
    commands = named(in_request, "command")
    appends = named(in_request, "eventstore.append")
    assert [c.attributes["command"] for c in commands if c.attributes] == ["Open", "Deposit"]
    assert [parent_of(c) for c in commands] == [hex_span(parent)] * 2
    assert len(appends) == 2
    assert {parent_of(a) for a in appends} == {hex_span(c) for c in commands}
    publishes = [
        s
        for s in named(finished, "relay.publish")
        if s.attributes and s.attributes.get("stream") == relay.config.stream
    ]
    assert publishes, "no relay.publish span for this test's stream"
    assert sum(int(str(s.attributes["events"])) for s in publishes if s.attributes) == 2


async def test_the_publish_span_belongs_to_or_links_the_command_trace(
    spans: InMemorySpanExporter,
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    nats_client: Client,
    service: str,
) -> None:
    parent, _ = await deposit_in_a_request(processor)
    relay = await publish_all(pool, nats_client, service, 2)

    publishes = [
        s
        for s in named(spans.get_finished_spans(), "relay.publish")
        if s.attributes and s.attributes.get("stream") == relay.config.stream
    ]
    linked = {format(link.context.trace_id, "032x") for s in publishes for link in s.links}
    assert any(hex_trace(s) == hex_trace(parent) or hex_trace(parent) in linked for s in publishes)


async def test_a_projection_handler_runs_in_the_trace_of_the_command(
    spans: InMemorySpanExporter,
    processor: CommandProcessor,
    pool: asyncpg.Pool,
    nats_client: Client,
    service: str,
) -> None:
    parent, _ = await deposit_in_a_request(processor)
    await publish_all(pool, nats_client, service, 2)
    seen: list[str] = []

    projection = Projection(name=f"traced_{service}", sources=[service])

    @projection.on(Deposited)
    async def on_deposit(_conn: Any, _envelope: EventEnvelope, _event: Any) -> None:
        seen.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))

    runner = ProjectionRunner(
        pool, nats_client, projection, processor.repository.registry, poll_interval=0.05
    )
    async with running(runner.run):
        await wait_until(lambda: bool(seen), message="the projection applies the deposit")

    assert seen == [hex_trace(parent)]
