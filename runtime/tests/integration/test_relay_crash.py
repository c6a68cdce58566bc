"""A relay that dies between the JetStream ack and its checkpoint loses and repeats nothing,
whether it restarts within the stream's duplicate window or long after it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, EventMetadata, new_id
from ishc_runtime import faults
from ishc_runtime.leases import Lease, Leases
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.testing.published import read_stream
from ishc_runtime.testing.sample_domain import Deposited
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

EVENTS = 50
BATCH = 10
WINDOW = 1.0


class Crash(Exception):
    """Stands in for SIGKILL at the fault point."""


async def lead(relay: Relay) -> tuple[Leases, Lease]:
    """The relay's lease, as its run loop would take it."""
    leases = Leases(relay.pool)
    lease = await leases.acquire(relay.role)
    assert lease is not None
    return leases, lease


async def fill(store: EventStore) -> list[str]:
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    ids = []
    for n in range(EVENTS):
        event_id = new_id()
        write = StreamWrite(
            f"account-{n % 5}", "account", n // 5, [Deposited(amount=1)], [event_id]
        )
        await store.append([write], meta)
        ids.append(str(event_id))
    return ids


async def dedup_window_has_passed(nc: Client, stream: str, service: str) -> None:
    """Wait until a probe id published into the same stream now is no longer deduplicated:
    the stream forgets ids oldest first, so every event id sent before it is forgotten too.
    The probes are purged afterwards so the stream again ends with an event."""
    js = nc.jetstream()
    subject = f"ishc.{service}.probe.Probe"
    probe_id = str(new_id())
    await js.publish(subject, b"", headers={"Nats-Msg-Id": probe_id})

    async def forgotten() -> bool:
        ack = await js.publish(subject, b"", headers={"Nats-Msg-Id": probe_id})
        return not ack.duplicate

    await wait_until(forgotten, timeout=30, interval=0.1, message="dedup window never passed")
    await js.purge_stream(stream, subject=subject)


@pytest.mark.parametrize("restart", ["within_dedup_window", "after_dedup_window"])
async def test_restart_after_a_crash_between_ack_and_checkpoint(
    restart: str,
    pool: asyncpg.Pool,
    nats_client: Client,
    service: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    committed = await fill(EventStore(pool))
    config = RelayConfig(service=service, batch_size=BATCH, duplicate_window=WINDOW)
    calls = 0

    def crash_on_third_batch(point: str) -> None:
        nonlocal calls
        if point == "relay.after_puback":
            calls += 1
            if calls == 3:
                raise Crash

    monkeypatch.setattr(faults, "hit", crash_on_third_batch)
    first = Relay(pool, nats_client, config)
    await first.ensure_stream()
    leases, lease = await lead(first)
    async with pool.acquire() as conn:
        with pytest.raises(Crash):
            await first.step(conn, lease)
        assert await conn.fetchval("SELECT seq FROM relay_checkpoints") == 2 * BATCH
    monkeypatch.undo()

    if restart == "after_dedup_window":
        await dedup_window_has_passed(nats_client, config.stream, service)
    second = Relay(pool, nats_client, config)
    async with pool.acquire() as conn:
        await second.step(conn, lease)
    await leases.close()

    published = await read_stream(nats_client, config.stream)
    assert sorted(p.event_id for p in published) == sorted(committed)
    assert [p.store_seq for p in published] == list(range(1, EVENTS + 1))
    assert await second.lag() == 0


async def test_a_batch_the_stream_holds_already_is_resent_one_by_one_and_deduplicated(
    pool: asyncpg.Pool, nats_client: Client, service: str
) -> None:
    committed = await fill(EventStore(pool))
    config = RelayConfig(service=service, batch_size=BATCH)
    relay = Relay(pool, nats_client, config)
    await relay.ensure_stream()
    leases, lease = await lead(relay)
    async with pool.acquire() as conn:
        await relay.step(conn, lease)
        # Forget both the checkpoint and the stream's resume point: the whole store is re-sent
        # in atomic batches, every one of which the stream refuses as a repeat.
        await conn.execute("DELETE FROM relay_checkpoints")
        relay.checkpoint = 0
        await asyncio.wait_for(relay.step(conn, lease), timeout=30)
    await leases.close()

    published = await read_stream(nats_client, config.stream)
    assert sorted(p.event_id for p in published) == sorted(committed)
