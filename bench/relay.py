"""Relay: events per second from the store to JetStream (`sync_interval: always`).

- ours: the store is pre-filled with `events` rows (COPY, seq NULL, as appends leave them);
  the clock runs from `Relay.run` starting until the JetStream stream holds them all (polled
  on a second connection). That covers sequencing, reading, atomic batches of 1,000 and the
  checkpoints, exactly as the relay runs in a service. The stream is created beforehand.
- raw: the same message bodies and headers (read with the relay's own query after it ran),
  published by nats-py in atomic batches of 1,000 (`Nats-Batch-*` headers, commit on the
  last, one request per batch) to a fresh stream with the same configuration. Messages are
  built before the clock starts: the reference is the broker's cost alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from nats.aio.client import Client as NatsClient

from bench.infra import Servers, token
from bench.measure import Measurement, section, settle, wait_for, watch, worker_section
from ishc_contracts import SYSTEM_ACTOR, EventMetadata, new_id, subjects
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import _PENDING, MAX_ATOMIC_BATCH, SEQ_HEADER, TYPE_HEADER
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running

_COLUMNS = (
    "event_id",
    "stream_id",
    "stream_type",
    "version",
    "type",
    "schema_version",
    "data",
    "metadata",
)


@dataclass(frozen=True)
class RelaySettings:
    events: int
    streams: int = 500
    timeout: float = 120.0


async def prefill(dsn: str, events: int, streams: int) -> None:
    """`events` deposits spread over `streams` accounts, inserted in interleaved order."""
    meta = EventMetadata(
        correlation_id=new_id(),
        causation_id=new_id(),
        actor=SYSTEM_ACTOR,
        occurred_at=datetime.now(UTC),
        command_id=new_id(),
    ).model_dump_json()
    rows = [
        (
            new_id(),
            f"account-{n % streams}",
            "account",
            n // streams + 1,
            "sample.Deposited",
            1,
            json.dumps({"amount": n % 1000 + 1}),
            meta,
        )
        for n in range(events)
    ]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("events", records=rows, columns=_COLUMNS)
    finally:
        await conn.close()


async def message_count(nc: NatsClient, stream: str) -> int:
    info = await nc.jetstream().stream_info(stream)
    return int(info.state.messages)


async def ours(
    servers: Servers, settings: RelaySettings, *, name: str
) -> tuple[Measurement, list[asyncpg.Record]]:
    """Run the relay over a pre-filled store; also return the rows it published, in order."""
    dsn = await servers.database("relay")
    await migrate(dsn)
    await prefill(dsn, settings.events, settings.streams)
    await servers.checkpoint()
    pool = await create_pool(dsn, min_size=2, max_size=4)
    service = f"benchrelay{token()}"
    try:
        async with servers.nats("bench-relay") as nc, servers.nats("bench-watch") as watcher:
            relay = Relay(pool, nc, RelayConfig(service=service))
            await relay.ensure_stream()
            stream = relay.config.stream
            await settle()
            with watch(name):
                started = time.perf_counter()
                async with running(worker_section(name, relay.run)):
                    await wait_for(
                        lambda: _holds(watcher, stream, settings.events),
                        timeout=settings.timeout,
                    )
                    elapsed = time.perf_counter() - started
            info = await watcher.jetstream().stream_info(stream)
            last = await watcher.jetstream().get_msg(stream, seq=info.state.last_seq)
            await watcher.jetstream().delete_stream(stream)
        rows = await pool.fetch(_PENDING, 0, settings.events)
    finally:
        await pool.close()
    last_seq = int((last.headers or {}).get(SEQ_HEADER, 0))
    if info.state.messages != settings.events or last_seq != settings.events:
        msg = f"relay published {info.state.messages} messages, last Ishc-Seq {last_seq}"
        raise AssertionError(msg)
    detail = {"stream_messages": info.state.messages, "last_ishc_seq": last_seq}
    return Measurement(name, settings.events, elapsed, "events", detail), rows


async def _holds(nc: NatsClient, stream: str, count: int) -> bool:
    return await message_count(nc, stream) >= count


def _raw_messages(
    service: str, rows: list[asyncpg.Record]
) -> list[tuple[str, bytes, dict[str, str]]]:
    """(subject, body, headers) per row, batch headers included, exactly as the relay sends."""
    built: list[tuple[str, bytes, dict[str, str]]] = []
    for start in range(0, len(rows), MAX_ATOMIC_BATCH):
        batch = rows[start : start + MAX_ATOMIC_BATCH]
        batch_id = batch[0]["event_id"]
        for number, row in enumerate(batch, start=1):
            headers = {
                "Nats-Msg-Id": row["event_id"],
                SEQ_HEADER: str(row["seq"]),
                TYPE_HEADER: row["type"],
                "Nats-Batch-Id": batch_id,
                "Nats-Batch-Sequence": str(number),
            }
            if number == len(batch):
                headers["Nats-Batch-Commit"] = "1"
            subject = subjects.event_subject(
                service, row["stream_type"], row["type"].split(".", 1)[1]
            )
            built.append((subject, row["body"].encode(), headers))
    return built


async def raw(
    servers: Servers, rows: list[asyncpg.Record], settings: RelaySettings, *, name: str
) -> Measurement:
    """nats-py atomic batches of 1,000 of the same messages to a fresh stream."""
    service = f"benchraw{token()}"
    messages = _raw_messages(service, rows)
    pool = await create_pool(servers.admin_dsn, min_size=1, max_size=1)  # for ensure_stream
    try:
        async with servers.nats("bench-relay-raw") as nc:
            creator = Relay(pool, nc, RelayConfig(service=service))
            await creator.ensure_stream()  # the very same stream configuration
            stream = creator.config.stream
            await settle()
            with section(name):
                started = time.perf_counter()
                for subject, body, headers in messages:
                    if "Nats-Batch-Commit" not in headers:
                        await nc.publish(subject, body, headers=headers)
                        continue
                    reply = await nc.request(subject, body, timeout=10, headers=headers)
                    ack = json.loads(reply.data)
                    if "error" in ack:
                        msg = f"raw batch refused: {ack['error']}"
                        raise AssertionError(msg)
                elapsed = time.perf_counter() - started
            held = await message_count(nc, stream)
            await nc.jetstream().delete_stream(stream)
    finally:
        await pool.close()
    if held != len(messages):
        msg = f"raw publishing stored {held} of {len(messages)} messages"
        raise AssertionError(msg)
    return Measurement(name, len(messages), elapsed, "messages", {"batch": MAX_ATOMIC_BATCH})
