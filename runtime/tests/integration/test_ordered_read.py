"""The ordered read of a rebuild (`projections.ordered`): it folds exactly up to its bound,
commits only under the projection's lease, and hands over to the durable consumer, with no
event lost or applied twice, when a message is missing or a handler fails."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from ishc_contracts import EventRegistry, subjects
from ishc_runtime.leases import LeaseLost, Leases
from ishc_runtime.projections import ProjectionRunner, ordered
from ishc_runtime.projections.ordered import read_ordered
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

from .test_fencing import depose
from .test_projection_runner import POISON, balance, balances_projection, deposit_all, published

pytestmark = pytest.mark.integration

AMOUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


@pytest.fixture
async def history(pool: asyncpg.Pool, nats_client: Client, service: str) -> asyncpg.Pool:
    await pool.execute(
        "CREATE TABLE balances (stream_id text PRIMARY KEY, balance int NOT NULL,"
        " deposits int NOT NULL)"
    )
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    await deposit_all(EventStore(pool), AMOUNTS)
    async with running(relay.run):
        await published(relay, len(AMOUNTS), nats_client)
    return pool


async def caught_up(runner: ProjectionRunner, service: str, last: int) -> None:
    async def done() -> bool:
        return await runner.checkpoint(service) >= last

    async with running(runner.run):
        await wait_until(done, timeout=20, message="the durable consumer did not catch up")


async def test_an_ordered_read_folds_up_to_its_bound_and_the_durable_consumer_goes_on(
    history: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    runner = ProjectionRunner(
        history, nats_client, balances_projection("b", service, "stop", {"yes": False}), registry
    )
    [read] = await read_ordered(runner, {service: 6}, batch_size=4)

    assert (read.checkpoint, read.complete) == (6, True)
    assert await balance(history) == (sum(AMOUNTS[:6]), 6)
    await caught_up(runner, service, len(AMOUNTS))
    assert await balance(history) == (sum(AMOUNTS), len(AMOUNTS))


async def test_an_ordered_read_commits_nothing_without_the_projections_lease(
    history: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    runner = ProjectionRunner(
        history, nats_client, balances_projection("b", service, "stop", {"yes": False}), registry
    )
    other = Leases(history, "another-instance")
    assert await other.acquire(runner.role(service)) is not None
    [read] = await read_ordered(runner, {service: len(AMOUNTS)})
    assert (read.checkpoint, read.complete) == (0, False)
    assert await balance(history) == (0, 0)
    await other.close()

    # Deposed between reading and committing: the fence refuses the batch.
    mine, successor = Leases(history, "mine"), Leases(history, "successor")
    lease = await mine.acquire(runner.role(service))
    assert lease is not None
    subscription = await nats_client.jetstream().subscribe(
        subjects.all_events(service), ordered_consumer=True
    )
    msgs = [await subscription.next_msg(timeout=5) for _ in AMOUNTS]
    await subscription.unsubscribe()
    await depose(history, lease, successor)
    with pytest.raises(LeaseLost):
        await runner.apply_unacked(service, msgs, lease)
    assert await balance(history) == (0, 0)
    assert await runner.checkpoint(service) == 0
    await successor.close()
    await mine.close()


async def test_a_missing_message_ends_the_ordered_read_before_it(
    history: asyncpg.Pool,
    nats_client: Client,
    service: str,
    registry: EventRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As when nats-py drops a message for a full pending queue (a slow consumer) and goes on
    after it: the chain check stops the read at the hole, the durable consumer fills it."""
    next_batch = ordered._next_batch
    dropped: list[int] = []

    async def dropping(*args: Any) -> list[Msg]:
        batch = await next_batch(*args)
        if not dropped and len(batch) >= 3:
            dropped.append(batch.pop(2).metadata.sequence.stream)
        return batch

    monkeypatch.setattr(ordered, "_next_batch", dropping)
    runner = ProjectionRunner(
        history, nats_client, balances_projection("b", service, "stop", {"yes": False}), registry
    )
    [read] = await read_ordered(runner, {service: len(AMOUNTS)}, batch_size=5)

    assert dropped == [3]
    assert (read.checkpoint, read.complete) == (2, False)
    assert await balance(history) == (sum(AMOUNTS[:2]), 2)
    await caught_up(runner, service, len(AMOUNTS))
    assert await balance(history) == (sum(AMOUNTS), len(AMOUNTS))


async def test_a_failing_handler_leaves_its_batch_to_the_durable_consumers_policy(
    pool: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    await pool.execute(
        "CREATE TABLE balances (stream_id text PRIMARY KEY, balance int NOT NULL,"
        " deposits int NOT NULL)"
    )
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    amounts = [1, 2, POISON, 4, 5]
    await deposit_all(EventStore(pool), amounts)
    async with running(relay.run):
        await published(relay, len(amounts), nats_client)
    runner = ProjectionRunner(
        pool, nats_client, balances_projection("b", service, "park", {"yes": True}), registry
    )
    [read] = await read_ordered(runner, {service: len(amounts)}, batch_size=2)

    assert (read.checkpoint, read.complete, read.reason) == (2, False, "a handler failed")
    await caught_up(runner, service, len(amounts))
    assert await balance(pool) == (1 + 2 + 4 + 5, 4)
    parked = await pool.fetchval(
        "SELECT count(*) FROM parked_messages WHERE projection = 'b' AND resolved_at IS NULL"
    )
    assert parked == 1
