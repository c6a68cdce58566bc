"""Feeding reporting's projections an order of events directly (no bus): for the tests that
key one history in several orders and compare what the reports say."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_runtime.projections import apply_writes
from reporting.definition import definition

T = TypeVar("T")


def interleaved(items: Sequence[T], stream_of: Callable[[T], str], rng: Any) -> list[T]:
    """The same items, each stream's in its own order, the streams mixed at random (what
    keying the streams in any order would deliver)."""
    queues: dict[str, list[T]] = {}
    for item in items:
        queues.setdefault(stream_of(item), []).append(item)
    out: list[T] = []
    while queues:
        stream = rng.choice(sorted(queues))
        out.append(queues[stream].pop(0))
        if not queues[stream]:
            del queues[stream]
    return out


async def restart(conn: asyncpg.Connection) -> None:
    """Empty every table of reporting's projections."""
    tables = [t for p in definition().projections for t in p.tables]
    await conn.execute(f"TRUNCATE {', '.join(tables)}")


async def apply(
    conn: asyncpg.Connection, stream: str, version: int, event: Event, keyed_at: datetime
) -> None:
    """`event` (version `version` of `stream`, keyed in at `keyed_at`) through every
    reporting projection that reads its service."""
    env = EventEnvelope(
        event_id=new_id(),
        type=event.wire_name(),
        schema_version=event.schema_version,
        stream_id=stream,
        stream_type=event.aggregate,
        version=version,
        recorded_at=keyed_at,
        metadata=EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=keyed_at),
        data=event.model_dump(mode="json"),
    )
    service = env.type.split(".", 1)[0]
    for projection in definition().projections:
        writer = projection.writers.get(env.type)
        if writer is not None and service in projection.sources:
            await apply_writes(conn, writer(env, event))
