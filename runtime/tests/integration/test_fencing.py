"""Two instances of one role (issue #17): a deposed worker commits and publishes nothing, and
the new leader never acks past a message that a deposed runner took from its consumer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from nats.aio.client import Client
from prometheus_client import REGISTRY

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventRegistry, new_id
from ishc_runtime.clock import FakeClock
from ishc_runtime.leases import Lease, LeaseLost, Leases
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.status import projection_status
from ishc_runtime.projections.watch import publish
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import StreamMovedOn
from ishc_runtime.relay.sequencer import assign_sequence
from ishc_runtime.scheduler import Scheduler
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.testing.background import running
from ishc_runtime.testing.published import read_stream
from ishc_runtime.testing.waiting import wait_until

from .test_projection_runner import balance, balances_projection, deposit_all, published
from .test_relay_crash import dedup_window_has_passed

pytestmark = pytest.mark.integration


async def depose(pool: asyncpg.Pool, lease: Lease, successor: Leases) -> Lease:
    """Another instance takes `lease`'s role, as after the holder paused past its ttl.

    The holder's heartbeat may renew the lease between the expiry forced here and the
    successor's claim (its first renewal runs whenever the loop gets to it): then expire it
    again; the next renewal is a third of the ttl away."""
    taken: list[Lease] = []

    async def deposed() -> bool:
        await pool.execute(
            "UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'"
            " WHERE role = $1",
            lease.role,
        )
        claimed = await successor.acquire(lease.role)
        taken.extend([claimed] if claimed is not None else [])
        return claimed is not None

    await wait_until(deposed, timeout=10, message="the successor never took the role")
    assert taken[0].epoch == lease.epoch + 1
    return taken[0]


@pytest.fixture
async def balances(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute(
        "CREATE TABLE balances (stream_id text PRIMARY KEY, balance int NOT NULL,"
        " deposits int NOT NULL)"
    )
    return pool


async def test_a_deposed_runner_commits_nothing(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    await deposit_all(EventStore(pool), [1, 2, 3])
    runner = ProjectionRunner(
        pool, nats_client, balances_projection("b", service, "stop", {"yes": False}), registry
    )
    old_leases, new_leases = Leases(pool, "old"), Leases(pool, "new")
    async with running(relay.run):
        await published(relay, 3, nats_client)
    lease = await old_leases.acquire(runner.role(service))
    assert lease is not None
    subscription = await runner.subscribe(service)
    batch = await subscription.fetch(3, timeout=5)
    await depose(pool, lease, new_leases)

    with pytest.raises(LeaseLost):
        await runner.handle_batch(service, batch, lease)
    assert await balance(pool) == (0, 0)
    assert await runner.checkpoint(service) == 0
    assert lease.lost.is_set()
    await subscription.unsubscribe()
    await new_leases.close()
    await old_leases.close()


async def test_messages_a_deposed_runner_took_are_not_acked_past(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    """The bug of issue #17: a deposed runner still pulls from the durable consumer that the
    new leader recreated under the same name. The leader must not ack past what it took."""
    pool = balances
    amounts = list(range(1, 11))
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    projection = balances_projection("b", service, "stop", {"yes": False})
    leader = ProjectionRunner(pool, nats_client, projection, registry)
    leases = Leases(pool, "leader")
    lease = await leases.acquire(leader.role(service))
    assert lease is not None
    await relay.ensure_stream()
    subscription = await leader.subscribe(service)
    await deposit_all(EventStore(pool), amounts)
    async with running(relay.run):
        await published(relay, len(amounts), nats_client)
    # The zombie, bound to the leader's consumer by its name, takes the first three messages
    # and will never apply nor ack them.
    zombie = await nats_client.jetstream().pull_subscribe_bind(
        durable=leader.durable(service), stream=relay.config.stream
    )
    assert len(await zombie.fetch(3, timeout=5)) == 3

    rest = await subscription.fetch(len(amounts), timeout=5)
    assert [m.metadata.sequence.stream for m in rest] == list(range(4, 11))
    assert not await leader.handle_batch(service, rest, lease)  # the chain is broken
    assert await leader.checkpoint(service) == 0  # not moved past 1..3
    await subscription.unsubscribe()

    again = await leader.subscribe(service)  # what the run loop does next
    everything = await again.fetch(len(amounts), timeout=5)
    assert await leader.handle_batch(service, everything, lease)
    assert await balance(pool) == (sum(amounts), len(amounts))
    assert await leader.checkpoint(service) == len(amounts)
    await again.unsubscribe()
    await zombie.unsubscribe()
    await leases.close()


@pytest.mark.parametrize("size", [2, 1], ids=["batch", "alone"])
async def test_a_deposed_relay_publishes_nothing_after_the_new_one(
    pool: asyncpg.Pool, nats_client: Client, service: str, size: int
) -> None:
    """After the stream's duplicate window, dedup no longer protects the stream: the batch
    (or the single event, published without batch headers) must be refused because it no
    longer follows the stream's last message."""
    store = EventStore(pool)
    await deposit_all(store, [1, 2])
    config = RelayConfig(service=service, duplicate_window=1.0)
    old, new = Relay(pool, nats_client, config), Relay(pool, nats_client, config)
    old_leases, new_leases = Leases(pool, "old"), Leases(pool, "new")
    await old.ensure_stream()
    old_lease = await old_leases.acquire(old.role)
    assert old_lease is not None
    async with pool.acquire() as conn:
        assert await old.step(conn, old_lease) == 2
        # The old relay pauses with its next batch read; meanwhile it is deposed and the new
        # relay publishes more.
        await deposit_all(store, [3, 4])
        async with old_lease.transaction(conn):
            await assign_sequence(conn)
        stale = await old.pending(conn, 2, 10)
        new_lease = await depose(pool, old_lease, new_leases)
        assert await new.step(conn, new_lease) == 2
        await dedup_window_has_passed(nats_client, config.stream, service)

        with pytest.raises(StreamMovedOn):
            await old.publish_batch(stale[:size])
        with pytest.raises(LeaseLost):
            await old.step(conn, old_lease)

    published = await read_stream(nats_client, config.stream)
    assert [p.store_seq for p in published] == [1, 2, 3, 4]  # each once, in order
    await new_leases.close()
    await old_leases.close()


async def test_a_deposed_scheduler_fires_nothing(pool: asyncpg.Pool) -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    dispatched: list[CommandEnvelope] = []

    async def dispatch(command: CommandEnvelope) -> dict[str, object]:
        dispatched.append(command)
        return {}

    scheduler = Scheduler(pool, clock, dispatch)
    command = CommandEnvelope(command_id=new_id(), type="Remind", actor=SYSTEM_ACTOR)
    await scheduler.schedule("remind:1", clock.now() + timedelta(days=1), command)
    clock.advance(timedelta(days=2))
    old_leases, new_leases = Leases(pool, "old"), Leases(pool, "new")
    lease = await old_leases.acquire("scheduler")
    assert lease is not None
    await depose(pool, lease, new_leases)

    async with pool.acquire() as conn:
        with pytest.raises(LeaseLost):
            await scheduler._fire_round(conn, lease)
    assert dispatched == []
    timer = await scheduler.get("remind:1")
    assert timer is not None
    assert timer.status == "pending"
    await new_leases.close()
    await old_leases.close()


async def test_status_counts_events_a_projection_skipped(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    """The periodic check that would have shown issue #17's loss: every message up to the
    checkpoint is taken once, except what was deleted from the stream."""
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    projection = balances_projection("b", service, "stop", {"yes": False})
    runner = ProjectionRunner(pool, nats_client, projection, registry, poll_interval=0.05)
    operated = [(projection, "projection")]
    await deposit_all(EventStore(pool), [1, 2, 3, 4])

    async def unaccounted() -> int | None:
        (status,) = await projection_status(pool, nats_client, operated)  # type: ignore[arg-type]
        return status.unaccounted

    async with running(relay.run):
        await published(relay, 4, nats_client)
    # A message deleted from the stream before the projection came to it was never there
    # to take.
    await nats_client.jetstream().delete_msg(relay.config.stream, 2)
    async with running(runner.run):

        async def caught_up() -> bool:
            return await balance(pool) == (8, 3)

        await wait_until(caught_up, timeout=20, message="not applied")
    assert await unaccounted() == 0

    # What the unfenced runner did: a checkpoint moved past messages nobody applied.
    await deposit_all(EventStore(pool), [5, 6])
    async with running(relay.run):
        await published(relay, 5, nats_client)
    await pool.execute("UPDATE projection_checkpoints SET stream_seq = stream_seq + 2")
    assert await unaccounted() == 2
    publish(await projection_status(pool, nats_client, operated))  # type: ignore[arg-type]
    gauge = REGISTRY.get_sample_value(
        "ishc_projection_unaccounted_events", {"projection": "b", "source": service}
    )
    assert gauge == 2
