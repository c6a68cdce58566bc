"""What the relay stores with each event on the stream: an event published alone carries
the relay's headers only; several published together carry the atomic batch's too."""

from __future__ import annotations

import asyncpg
import pytest
from nats.aio.client import Client

from ishc_contracts import subjects
from ishc_runtime.leases import Leases
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.testing.published import message_count

from .test_projection_runner import deposit_all

pytestmark = pytest.mark.integration

BATCH_HEADERS = {"Nats-Batch-Id", "Nats-Batch-Sequence", "Nats-Batch-Commit"}


async def stored_headers(nc: Client, stream: str, seq: int) -> dict[str, str]:
    message = await nc.jetstream().get_msg(stream, seq)
    return dict(message.headers or {})


async def test_an_event_alone_is_stored_without_batch_headers_and_a_repeat_is_not_stored(
    pool: asyncpg.Pool, nats_client: Client, service: str
) -> None:
    store = EventStore(pool)
    relay = Relay(pool, nats_client, RelayConfig(service=service))
    leases = Leases(pool, "relay-headers")
    await relay.ensure_stream()
    lease = await leases.acquire(relay.role)
    assert lease is not None
    stream = relay.config.stream
    async with pool.acquire() as conn:
        await deposit_all(store, [5])
        assert await relay.step(conn, lease) == 1
        await deposit_all(store, [1, 2, 3])
        assert await relay.step(conn, lease) == 3

        alone = await stored_headers(nats_client, stream, 1)
        assert set(alone) == {"Nats-Msg-Id", "Ishc-Seq", "Ishc-Type", "Nats-Expected-Last-Sequence"}
        assert alone["Ishc-Seq"] == "1" and alone["Nats-Expected-Last-Sequence"] == "0"
        together = [await stored_headers(nats_client, stream, seq) for seq in (2, 3, 4)]
        assert all(BATCH_HEADERS & set(headers) for headers in together)

        # The first event again, within the dedup window: acknowledged, not stored twice,
        # and the relay still knows where the stream stands.
        (first,) = await relay.pending(conn, 0, 1)
        await relay.publish_batch([first])
        assert await message_count(nats_client, stream) == 4
        assert relay.stream_last == 4
    last = await nats_client.jetstream().get_last_msg(stream, subjects.all_events(service))
    assert (last.headers or {})["Ishc-Seq"] == "4"
    await leases.close()
