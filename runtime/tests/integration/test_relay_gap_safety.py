"""The relay never skips an event whose transaction commits late, and never reorders a stream.

Eight writers append to shared streams inside transactions that stay open for random times
(so commit order differs from insertion order) and sometimes roll back, while the relay
publishes. Everything committed must reach JetStream exactly once, in per-stream order.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, EventMetadata, new_id
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import ConcurrencyError, EventStore, StreamWrite
from ishc_runtime.testing.background import running
from ishc_runtime.testing.published import message_count, read_stream
from ishc_runtime.testing.sample_domain import Deposited
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

WRITERS = 8
TRANSACTIONS_PER_WRITER = 200
STREAMS = 24
SEED = 20261123


class RolledBack(Exception):
    pass


async def writer(number: int, store: EventStore, pool: asyncpg.Pool, committed: list[str]) -> None:
    rng = random.Random(SEED + number)
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    for _ in range(TRANSACTIONS_PER_WRITER):
        stream = f"account-{rng.randrange(STREAMS)}"
        events = [Deposited(amount=rng.randint(1, 9)) for _ in range(rng.choice((1, 1, 2, 3)))]
        ids = [new_id() for _ in events]
        roll_back = rng.random() < 0.1
        hold = rng.random() * 0.02
        while True:
            try:
                async with pool.acquire() as conn, conn.transaction():
                    version = await conn.fetchval(
                        "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream
                    )
                    write = StreamWrite(stream, "account", version, events, ids)
                    await store.append([write], meta, connection=conn)
                    await asyncio.sleep(hold)  # keep the transaction open: commit late
                    if roll_back:
                        raise RolledBack
                committed.extend(str(i) for i in ids)
            except ConcurrencyError:
                continue
            except RolledBack:
                pass
            break


async def test_every_committed_event_is_published_once_in_stream_order(
    pool: asyncpg.Pool, nats_client: Client, service: str
) -> None:
    store = EventStore(pool)
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    committed: list[str] = []
    stream = relay.config.stream

    async def all_published() -> bool:
        return await message_count(nats_client, stream) >= len(committed)

    async with running(relay.run):
        await asyncio.gather(*(writer(n, store, pool, committed) for n in range(WRITERS)))
        assert len(committed) >= 2_000
        await wait_until(all_published, timeout=60, message="relay did not publish everything")

    published = await read_stream(nats_client, stream)
    assert sorted(p.event_id for p in published) == sorted(committed)  # none lost, none twice
    assert [p.store_seq for p in published] == list(range(1, len(committed) + 1))
    last_version: dict[str, int] = {}
    for p in published:
        assert p.version == last_version.get(p.stream_id, 0) + 1, f"{p.stream_id} out of order"
        last_version[p.stream_id] = p.version
    assert await relay.lag() == 0
