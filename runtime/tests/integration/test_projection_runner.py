"""The projection runner against real JetStream and Postgres: exactly-once effect across a
crash, poison events under both failure policies, redrive, and bad input on the subject."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime

import asyncpg
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import NotFoundError

from ishc_contracts import SYSTEM_ACTOR, EventEnvelope, EventMetadata, EventRegistry, new_id
from ishc_runtime import faults
from ishc_runtime.leases import Lease, LeaseLost, Leases
from ishc_runtime.projections import (
    FailurePolicy,
    LeaderElsewhere,
    Projection,
    ProjectionRunner,
    Write,
)
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.pool import Connection
from ishc_runtime.testing.background import running
from ishc_runtime.testing.sample_domain import Deposited
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

POISON = 13


class Crash(Exception):
    """Stands in for SIGKILL at the fault point."""


def balances_projection(
    name: str, source: str, policy: FailurePolicy, broken: dict[str, bool]
) -> Projection:
    projection = Projection(
        name=name,
        sources=[source],
        policy=policy,
        max_attempts=2,
        backoff_seconds=0.01,
    )

    @projection.on(Deposited)
    async def deposited(conn: Connection, envelope: EventEnvelope, event: Deposited) -> None:
        if event.amount == POISON and broken["yes"]:
            raise RuntimeError("cannot handle thirteen")
        await conn.execute(
            "INSERT INTO balances (stream_id, balance, deposits) VALUES ($1, $2, 1)"
            " ON CONFLICT (stream_id) DO UPDATE SET balance = balances.balance + $2,"
            " deposits = balances.deposits + 1",
            envelope.stream_id,
            event.amount,
        )

    return projection


@pytest.fixture
async def balances(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute(
        "CREATE TABLE balances (stream_id text PRIMARY KEY, balance int NOT NULL, deposits int NOT NULL)"
    )
    return pool


async def deposit_all(store: EventStore, amounts: list[int], stream: str = "account-1") -> None:
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    version = await store.stream_version(stream)
    for amount in amounts:
        await store.append(
            [StreamWrite(stream, "account", version, [Deposited(amount=amount)])], meta
        )
        version += 1


async def published(relay: Relay, count: int, nc: Client) -> None:
    async def enough() -> bool:
        try:
            info = await nc.jetstream().stream_info(relay.config.stream)
        except NotFoundError:  # the relay has not declared its stream yet
            return False
        return info.state.messages >= count

    await wait_until(enough, timeout=20, message="relay did not publish")


async def balance(pool: asyncpg.Pool, stream: str = "account-1") -> tuple[int, int]:
    row = await pool.fetchrow("SELECT balance, deposits FROM balances WHERE stream_id = $1", stream)
    return (row["balance"], row["deposits"]) if row else (0, 0)


async def test_a_crash_after_commit_before_ack_has_no_second_effect(
    balances: asyncpg.Pool,
    nats_client: Client,
    service: str,
    registry: EventRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    await deposit_all(EventStore(pool), [100, 200, 300])
    projection = balances_projection("balances", service, "stop", {"yes": False})

    def crash_before_ack(point: str) -> None:
        if point == "projection.before_ack":
            raise Crash

    async with running(relay.run):
        await published(relay, 3, nats_client)
        first = ProjectionRunner(pool, nats_client, projection, registry, ack_wait=1)
        leases = Leases(pool)
        lease = await leases.acquire(first.role(service))
        assert lease is not None
        subscription = await first.subscribe(service)
        batch = await subscription.fetch(10, timeout=5)
        monkeypatch.setattr(faults, "hit", crash_before_ack)
        with pytest.raises(Crash):
            await first.handle_batch(service, batch, lease)
        monkeypatch.undo()
        assert await balance(pool) == (600, 3)  # committed, never acked

        # After ack_wait. The server may hand the redeliveries back over several pulls.
        redelivered: list[Msg] = []

        async def all_redelivered() -> bool:
            with contextlib.suppress(NatsTimeoutError):
                redelivered.extend(await subscription.fetch(3 - len(redelivered), timeout=2))
            return len(redelivered) >= 3

        await wait_until(all_redelivered, timeout=15, message="not all three were redelivered")
        assert [m.metadata.sequence.stream for m in redelivered] == [1, 2, 3]
        assert all(m.metadata.num_delivered == 2 for m in redelivered)
        assert await first.handle_batch(service, redelivered, lease)
        assert await balance(pool) == (600, 3)
        await subscription.unsubscribe()
        await leases.close()

        restarted = ProjectionRunner(pool, nats_client, projection, registry, poll_interval=0.05)
        async with running(restarted.run):
            await deposit_all(EventStore(pool), [400])

            async def caught_up() -> bool:
                return await balance(pool) == (1_000, 4)

            await wait_until(caught_up, timeout=20, message="restarted runner did not catch up")
            assert await restarted.lag() == {service: 0}


async def test_park_policy_sets_a_poison_event_aside_and_redrive_applies_it_once(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    broken = {"yes": True}
    runner = ProjectionRunner(
        pool,
        nats_client,
        balances_projection("balances_park", service, "park", broken),
        registry,
        poll_interval=0.05,
    )
    await deposit_all(EventStore(pool), [1, POISON, 2])

    async with running(relay.run, runner.run):

        async def rest_applied() -> bool:
            return await balance(pool) == (3, 2)

        await wait_until(rest_applied, timeout=20, message="events after the poison not applied")

    parked = await pool.fetchrow("SELECT id, reason, detail, event_type FROM parked_messages")
    assert parked is not None
    assert parked["reason"] == "handler_failed"
    assert "thirteen" in parked["detail"]
    assert parked["event_type"] == "sample.Deposited"

    broken["yes"] = False
    assert await runner.redrive(parked["id"]) is True
    assert await runner.redrive(parked["id"]) is False
    assert await balance(pool) == (3 + POISON, 3)


async def test_a_redrive_commits_only_under_the_lease_of_the_projections_source(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    """Like a batch, a redrive is fenced: an instance that lost the role writes nothing, one
    that does not lead it refuses while another does, and with nobody leading it applies."""
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    broken = {"yes": True}
    projection = balances_projection("balances_fenced", service, "park", broken)
    runner = ProjectionRunner(pool, nats_client, projection, registry, poll_interval=0.05)
    await deposit_all(EventStore(pool), [1, POISON])

    async with running(relay.run, runner.run):

        async def parked() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM parked_messages"))

        await wait_until(parked, timeout=20, message="the poison event was not parked")

    parked_id = await pool.fetchval("SELECT id FROM parked_messages")
    broken["yes"] = False
    role = runner.role(service)
    # This instance holds the role (epoch n) and its heartbeat has not run since: the state
    # a deposed instance is in between losing the role and noticing.
    ours = Leases(pool, "instance-ours", ttl=600)
    epoch = await pool.fetchval(
        "UPDATE leases SET holder = 'instance-ours', epoch = epoch + 1,"
        " expires_at = clock_timestamp() + interval '10 minutes' WHERE role = $1 RETURNING epoch",
        role,
    )
    lease = Lease(role, "instance-ours", epoch, 600, time.monotonic() + 600)
    ours.held[role] = lease
    try:
        deposed = ProjectionRunner(pool, nats_client, projection, registry, leases=ours)
        # Another instance took the role; this one has not noticed yet.
        await pool.execute(
            "UPDATE leases SET holder = 'instance-theirs', epoch = epoch + 1 WHERE role = $1",
            role,
        )
        with pytest.raises(LeaseLost):
            await deposed.redrive(parked_id, by="op-1")
        assert lease.lost.is_set()
        # An instance that does not lead refuses while the other one does.
        bystander = ProjectionRunner(pool, nats_client, projection, registry)
        with pytest.raises(LeaderElsewhere):
            await bystander.redrive(parked_id, by="op-1")
        assert await balance(pool) == (1, 1)
        still = await pool.fetchrow(
            "SELECT resolved_at, resolved_by FROM parked_messages WHERE id = $1", parked_id
        )
        assert still is not None and still["resolved_at"] is None and still["resolved_by"] is None
    finally:
        await ours.close()

    # The other instance is gone (its lease expired): nobody leads, the redrive takes the role
    # for the moment, applies once and says who.
    await pool.execute("UPDATE leases SET expires_at = clock_timestamp() WHERE role = $1", role)
    assert await runner.redrive(parked_id, by="op-1") is True
    assert await runner.redrive(parked_id, by="op-2") is False
    assert await balance(pool) == (1 + POISON, 2)
    done = await pool.fetchrow(
        "SELECT resolution, resolved_by FROM parked_messages WHERE id = $1", parked_id
    )
    assert done is not None and tuple(done) == ("redriven", "op-1")
    assert await pool.fetchval(
        "SELECT expires_at <= clock_timestamp() FROM leases WHERE role = $1", role
    ), "the role was released after"


async def test_stop_policy_halts_on_a_poison_event_and_resumes_once_fixed(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    broken = {"yes": True}
    projection = balances_projection("ledger", service, "stop", broken)
    runner = ProjectionRunner(
        pool, nats_client, projection, registry, poll_interval=0.05, ack_wait=1
    )
    await deposit_all(EventStore(pool), [1, POISON, 2])

    async with running(relay.run):
        await published(relay, 3, nats_client)
        async with running(runner.run):
            await wait_until(lambda: service in runner.stopped, timeout=20, message="did not stop")
        assert await balance(pool) == (1, 1)  # nothing after the poison either
        blocking = await pool.fetchrow(
            "SELECT disposition, resolved_at FROM parked_messages WHERE projection = 'ledger'"
        )
        assert blocking is not None
        assert blocking["disposition"] == "blocking"
        assert blocking["resolved_at"] is None

        broken["yes"] = False
        resumed = ProjectionRunner(
            pool, nats_client, projection, registry, poll_interval=0.05, ack_wait=1
        )
        async with running(resumed.run):

            async def all_applied() -> bool:
                return await balance(pool) == (3 + POISON, 3)

            await wait_until(all_applied, timeout=20, message="did not resume after the fix")

    resolved = await pool.fetchval(
        "SELECT resolution FROM parked_messages WHERE projection = 'ledger'"
    )
    assert resolved == "applied"


async def test_malformed_and_unknown_messages_are_parked_and_the_consumer_goes_on(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    pool = balances
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    await relay.ensure_stream()
    js = nats_client.jetstream()
    subject = f"ishc.{service}.account.Deposited"
    await js.publish(subject, b"{not json")
    stranger = {
        "event_id": str(new_id()),
        "type": "sample.Teleported",
        "schema_version": 1,
        "stream_id": "account-9",
        "stream_type": "account",
        "version": 1,
        "recorded_at": datetime.now(UTC).isoformat(),
        "metadata": json.loads(
            EventMetadata(
                correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC)
            ).model_dump_json()
        ),
        "data": {},
    }
    await js.publish(f"ishc.{service}.account.Teleported", json.dumps(stranger).encode())
    too_new = {
        **stranger,
        "event_id": str(new_id()),
        "type": "sample.Deposited",
        "schema_version": 9,
    }
    await js.publish(subject, json.dumps(too_new).encode())
    invalid = {
        **stranger,
        "event_id": str(new_id()),
        "type": "sample.Deposited",
        "data": {"amount": -5},
    }
    await js.publish(subject, json.dumps(invalid).encode())
    runner = ProjectionRunner(
        pool,
        nats_client,
        balances_projection("balances_bad", service, "stop", {"yes": False}),
        registry,
        poll_interval=0.05,
    )

    async with running(relay.run, runner.run):
        await deposit_all(EventStore(pool), [7])

        async def good_one_applied() -> bool:
            return await balance(pool) == (7, 1)

        await wait_until(good_one_applied, timeout=20, message="consumer stalled on bad input")

    reasons = [
        r["reason"]
        for r in await pool.fetch("SELECT reason FROM parked_messages ORDER BY stream_seq")
    ]
    assert reasons == ["malformed", "unknown_type", "unsupported_schema_version", "invalid_payload"]
    assert not runner.stopped


async def test_writes_of_a_batch_are_sent_together_and_a_failing_one_is_isolated(
    balances: asyncpg.Pool, nats_client: Client, service: str, registry: EventRegistry
) -> None:
    pool = balances
    await pool.execute("ALTER TABLE balances ADD CONSTRAINT not_thirteen CHECK (balance <> 13)")
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    projection = Projection(name="batched", sources=[service], policy="park", max_attempts=1)

    @projection.writes(Deposited)
    def deposited(envelope: EventEnvelope, event: Deposited) -> list[Write]:
        return [
            Write(
                "INSERT INTO balances (stream_id, balance, deposits) VALUES ($1, $2, 1)"
                " ON CONFLICT (stream_id) DO UPDATE SET balance = balances.balance + $2,"
                " deposits = balances.deposits + 1",
                (envelope.stream_id, event.amount),
            )
        ]

    await deposit_all(EventStore(pool), [5, 8, 1, 2], stream="account-a")  # 5+8 = 13: refused
    await deposit_all(EventStore(pool), [13], stream="account-b")  # refused on its own
    runner = ProjectionRunner(pool, nats_client, projection, registry, poll_interval=0.05)

    async with running(relay.run, runner.run):

        async def settled() -> bool:
            return await balance(pool, "account-a") == (8, 3)

        await wait_until(settled, timeout=20, message="batched writes did not settle")

    parked = await pool.fetch("SELECT reason, stream_seq FROM parked_messages ORDER BY stream_seq")
    assert [(r["reason"], r["stream_seq"]) for r in parked] == [
        ("handler_failed", 2),
        ("handler_failed", 5),
    ]
    assert await balance(pool, "account-b") == (0, 0)


_DEPOSIT = (
    "INSERT INTO balances (stream_id, balance, deposits) VALUES ($1, $2, 1)"
    " ON CONFLICT (stream_id) DO UPDATE SET balance = balances.balance + $2,"
    " deposits = balances.deposits + 1"
)
# The run as one statement: sums per stream, and how many rows each folded run carried.
_DEPOSITS = (
    "WITH run AS (INSERT INTO folded_runs (writes) VALUES (cardinality($1::text[])))"
    " INSERT INTO balances (stream_id, balance, deposits)"
    " SELECT s, sum(a), count(*) FROM unnest($1::text[], $2::int[]) AS u(s, a) GROUP BY s"
    " ON CONFLICT (stream_id) DO UPDATE SET balance = balances.balance + excluded.balance,"
    " deposits = balances.deposits + excluded.deposits"
)


@pytest.mark.parametrize("fold_works", [True, False], ids=["folded", "fold-fails"])
async def test_a_run_of_writes_is_folded_into_one_statement_or_applied_event_by_event(
    balances: asyncpg.Pool,
    nats_client: Client,
    service: str,
    registry: EventRegistry,
    fold_works: bool,
) -> None:
    pool = balances
    await pool.execute("CREATE TABLE folded_runs (writes int NOT NULL)")
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
    projection = Projection(name="folded", sources=[service], policy="park", max_attempts=1)
    fold = _DEPOSITS if fold_works else "SELECT 1 / 0 FROM unnest($1::text[], $2::int[])"

    @projection.writes(Deposited)
    def deposited(envelope: EventEnvelope, event: Deposited) -> list[Write]:
        return [Write(_DEPOSIT, (envelope.stream_id, event.amount), fold=fold)]

    store = EventStore(pool)
    await deposit_all(store, [5, 8, 1], stream="account-a")
    await deposit_all(store, [2, 3], stream="account-b")
    async with running(relay.run):
        await published(relay, 5, nats_client)
    # Everything is on the stream before the runner starts: one fetch, one batch, one run.
    runner = ProjectionRunner(pool, nats_client, projection, registry, poll_interval=0.05)
    async with running(runner.run):

        async def caught_up() -> bool:
            return await runner.checkpoint(service) == 5

        await wait_until(caught_up, timeout=20, message="the projection did not catch up")

    assert await balance(pool, "account-a") == (14, 3)
    assert await balance(pool, "account-b") == (5, 2)
    runs = [r["writes"] for r in await pool.fetch("SELECT writes FROM folded_runs")]
    assert runs == ([5] if fold_works else [])
    assert await pool.fetchval("SELECT count(*) FROM parked_messages") == 0
