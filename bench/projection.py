"""Projection catch-up: events per second from a JetStream stream into a Postgres table.

The stream holds `events` deposits in the relay's format (body: the EventEnvelope JSON;
headers Nats-Msg-Id, Ishc-Seq, Ishc-Type), written in atomic batches before any clock runs.

- ours: a `ProjectionRunner` (defaults: durable pull consumer, fetch 256, one transaction per
  batch with the checkpoint, ack after commit) upserting one row per event through a pure
  writer (`Projection.writes`: the runner sends a batch's upserts in one `executemany`), the
  runtime's path for read models that only insert and update; the clock runs from `run`
  starting until its checkpoint reaches the stream's last sequence (polled).
- raw: nats-py `pull_subscribe` + `fetch(256)`, `json.loads` of each body, one multi-row
  upsert (`unnest`) per batch, ack of the batch's last message; same table, own database.
- diagnostics: the same upsert in a connection handler (`Projection.on`: one `execute`, so
  one round trip, per event), and a handler that does nothing (the runner's own cost).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench.infra import Servers, token
from bench.measure import Measurement, section, settle, wait_for, watch, worker_section
from ishc_contracts import SYSTEM_ACTOR, EventEnvelope, EventMetadata, new_id, subjects
from ishc_runtime.projections import Projection, ProjectionRunner, Write
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import MAX_ATOMIC_BATCH, SEQ_HEADER, TYPE_HEADER
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import Connection, create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.sample_domain import Deposited, sample_registry

BATCH = 256
Mode = Literal["writer", "handler", "noop"]

_TABLE = """
CREATE TABLE bench_deposits (
    stream_id text    NOT NULL,
    version   integer NOT NULL,
    amount    bigint  NOT NULL,
    event_id  uuid    NOT NULL,
    PRIMARY KEY (stream_id, version)
)
"""

_UPSERT_ONE = (
    "INSERT INTO bench_deposits (stream_id, version, amount, event_id) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (stream_id, version) DO UPDATE"
    " SET amount = excluded.amount, event_id = excluded.event_id"
)

_UPSERT_BATCH = (
    "INSERT INTO bench_deposits (stream_id, version, amount, event_id)"
    " SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::uuid[])"
    " ON CONFLICT (stream_id, version) DO UPDATE"
    " SET amount = excluded.amount, event_id = excluded.event_id"
)


@dataclass(frozen=True)
class ProjectionSettings:
    events: int
    streams: int = 500
    timeout: float = 180.0


@dataclass(frozen=True)
class Source:
    service: str
    stream: str
    last_seq: int


async def publish_source(servers: Servers, settings: ProjectionSettings) -> Source:
    """A fresh stream (the relay's configuration) holding `events` deposits."""
    service = f"benchproj{token()}"
    meta = EventMetadata(
        correlation_id=new_id(),
        causation_id=new_id(),
        actor=SYSTEM_ACTOR,
        occurred_at=datetime.now(UTC),
        command_id=new_id(),
    )
    subject = subjects.event_subject(service, "account", "Deposited")
    pool = await create_pool(servers.admin_dsn, min_size=1, max_size=1)  # for ensure_stream
    try:
        async with servers.nats("bench-proj-fill") as nc:
            relay = Relay(pool, nc, RelayConfig(service=service))
            await relay.ensure_stream()
            for start in range(0, settings.events, MAX_ATOMIC_BATCH):
                count = min(MAX_ATOMIC_BATCH, settings.events - start)
                await _publish_batch(nc, subject, start, count, settings.streams, meta)
            info = await nc.jetstream().stream_info(relay.config.stream)
    finally:
        await pool.close()
    assert info.state.messages == settings.events
    return Source(service, relay.config.stream, info.state.last_seq)


async def _publish_batch(
    nc: NatsClient, subject: str, start: int, count: int, streams: int, meta: EventMetadata
) -> None:
    batch_id = str(new_id())
    for number in range(1, count + 1):
        n = start + number - 1
        envelope = EventEnvelope(
            event_id=new_id(),
            type="sample.Deposited",
            schema_version=1,
            stream_id=f"account-{n % streams}",
            stream_type="account",
            version=n // streams + 1,
            seq=n + 1,
            recorded_at=datetime.now(UTC),
            metadata=meta,
            data={"amount": n % 1000 + 1},
        )
        headers = {
            "Nats-Msg-Id": str(envelope.event_id),
            SEQ_HEADER: str(n + 1),
            TYPE_HEADER: envelope.type,
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(number),
        }
        body = envelope.model_dump_json().encode()
        if number < count:
            await nc.publish(subject, body, headers=headers)
            continue
        headers["Nats-Batch-Commit"] = "1"
        reply = await nc.request(subject, body, timeout=10, headers=headers)
        if b'"error"' in reply.data:
            msg = f"filling the projection's stream failed: {reply.data!r}"
            raise AssertionError(msg)


async def ours(
    servers: Servers, source: Source, settings: ProjectionSettings, *, name: str, mode: Mode
) -> Measurement:
    dsn = await servers.database("projection")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=2, max_size=4)
    try:
        await pool.execute(_TABLE)
        await servers.checkpoint()
        projection = Projection(name=f"bench_{token()}", sources=[source.service])
        if mode == "writer":

            @projection.writes(Deposited)
            def upsert_rows(envelope: EventEnvelope, event: object) -> list[Write]:
                assert isinstance(event, Deposited)
                args = (envelope.stream_id, envelope.version, event.amount, envelope.event_id)
                return [Write(_UPSERT_ONE, args)]

        else:

            @projection.on(Deposited)
            async def upsert(conn: Connection, envelope: EventEnvelope, event: object) -> None:
                if mode == "noop":
                    return
                assert isinstance(event, Deposited)
                await conn.execute(
                    _UPSERT_ONE,
                    envelope.stream_id,
                    envelope.version,
                    event.amount,
                    envelope.event_id,
                )

        async with servers.nats("bench-projection") as nc:
            runner = ProjectionRunner(pool, nc, projection, sample_registry(), poll_interval=0.2)

            async def caught_up() -> bool:
                return await runner.checkpoint(source.service) >= source.last_seq

            await settle()
            with watch(name):
                started = time.perf_counter()
                async with running(worker_section(name, runner.run)):
                    await wait_for(caught_up, timeout=settings.timeout)
                    elapsed = time.perf_counter() - started
            await nc.jetstream().delete_consumer(source.stream, runner.durable(source.service))
        rows = await pool.fetchval("SELECT count(*) FROM bench_deposits")
    finally:
        await pool.close()
    expected = 0 if mode == "noop" else settings.events
    if rows != expected:
        msg = f"projection wrote {rows} rows, expected {expected}"
        raise AssertionError(msg)
    detail = {"batch": BATCH, "mode": mode, "rows": rows}
    return Measurement(name, settings.events, elapsed, "events", detail)


async def raw(
    servers: Servers, source: Source, settings: ProjectionSettings, *, name: str
) -> Measurement:
    dsn = await servers.database("projection_raw")
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    assert pool is not None
    durable = f"raw_{token()}"
    try:
        await pool.execute(_TABLE)
        await servers.checkpoint()
        async with servers.nats("bench-projection-raw") as nc:
            js = nc.jetstream()
            subscription = await js.pull_subscribe(
                subjects.all_events(source.service),
                durable=durable,
                stream=source.stream,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.ALL,
                    deliver_policy=DeliverPolicy.ALL,
                    max_ack_pending=BATCH,
                ),
            )
            await settle()
            deadline = time.monotonic() + settings.timeout
            with section(name):
                started = time.perf_counter()
                done = 0
                while done < source.last_seq:
                    if time.monotonic() > deadline:
                        msg = f"raw consumer stuck at {done} of {source.last_seq}"
                        raise TimeoutError(msg)
                    try:
                        msgs = await subscription.fetch(BATCH, timeout=1.0)
                    except NatsTimeoutError:
                        continue
                    bodies = [json.loads(m.data) for m in msgs]
                    await pool.execute(
                        _UPSERT_BATCH,
                        [b["stream_id"] for b in bodies],
                        [b["version"] for b in bodies],
                        [b["data"]["amount"] for b in bodies],
                        [b["event_id"] for b in bodies],
                    )
                    await msgs[-1].ack()
                    done = msgs[-1].metadata.sequence.stream
                elapsed = time.perf_counter() - started
            await subscription.unsubscribe()
            await js.delete_consumer(source.stream, durable)
        rows = await pool.fetchval("SELECT count(*) FROM bench_deposits")
    finally:
        await pool.close()
    if rows != settings.events:
        msg = f"raw loop wrote {rows} rows, expected {settings.events}"
        raise AssertionError(msg)
    return Measurement(name, settings.events, elapsed, "events", {"batch": BATCH, "rows": rows})
