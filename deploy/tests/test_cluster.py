"""A three-node JetStream cluster on loopback: R3 stream, the stream leader SIGKILLed mid-stream.

Three real nats-server processes (cluster routes, `sync_interval: always`) carry the runtime's
relay and a projection runner over the sample domain while commands keep being appended. The
stream's leader is killed part-way through. Every acknowledged command's events must end up
in the stream exactly once and in the projection once (its table equals the fold of the
store), and the killed node, restarted, must catch up with the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import nats
import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventEnvelope, new_id
from ishc_runtime.aggregates import Repository
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.infra.nats import assert_sync_always
from ishc_runtime.projections import Projection, ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import Connection, create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.published import read_stream
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    AccountOpened,
    Deposited,
    deposit,
    open_account,
    sample_registry,
)
from ishc_runtime.testing.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

SERVICE = "sample"
STREAM = "SAMPLE"
ACCOUNTS = 6
DEPOSITS = 40  # per account: 6 writers x 41 commands, most of them after the kill
KILL_AFTER = 60  # events in the stream before the leader dies


@pytest.fixture
async def pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_dsn)
    created = await create_pool(database_dsn, max_size=20)
    await created.execute(
        "CREATE TABLE balances (account text PRIMARY KEY, balance bigint NOT NULL,"
        " deposits int NOT NULL)"
    )
    try:
        yield created
    finally:
        await created.close()


async def connect(nodes: list[Any], name: str) -> Client:
    """A client that knows every node, and so fails over when its own dies."""
    return await nats.connect(
        [node.url for node in nodes],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.1,
        connect_timeout=2,
        dont_randomize=False,
    )


def balances_projection() -> Projection:
    projection = Projection(name="sample_balances", sources=[SERVICE], policy="stop")

    @projection.on(AccountOpened)
    async def opened(conn: Connection, env: EventEnvelope, event: AccountOpened) -> None:
        await conn.execute(
            "INSERT INTO balances (account, balance, deposits) VALUES ($1, 0, 0)", env.stream_id
        )

    @projection.on(Deposited)
    async def deposited(conn: Connection, env: EventEnvelope, event: Deposited) -> None:
        await conn.execute(
            "UPDATE balances SET balance = balance + $2, deposits = deposits + 1"
            " WHERE account = $1",
            env.stream_id,
            event.amount,
        )

    return projection


async def stream_messages(nc: Client) -> int:
    try:
        info = await nc.jetstream(timeout=2).stream_info(STREAM)
    except (NotFoundError, TimeoutError, nats.errors.Error):
        return 0  # not declared yet, or no leader for a moment
    return int(info.state.messages)


def node_holds(node: Any, count: int) -> bool:
    """The node's own copy of the stream (its /jsz, not the leader's view) has `count`."""
    jsz = node.get("/jsz?accounts=true&streams=true")
    for account in jsz.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            if stream["name"] == STREAM:
                return bool(stream["state"]["messages"] == count)
    return False


async def test_r3_stream_survives_a_killed_leader_and_the_node_catches_up(
    nats_cluster: list[Any], pool: asyncpg.Pool
) -> None:
    for node in nats_cluster:
        assert_sync_always(node.monitor_url)
    relay_nc = await connect(nats_cluster, "relay")
    runner_nc = await connect(nats_cluster, "projection")
    check_nc = await connect(nats_cluster, "check")
    registry = sample_registry()
    store = EventStore(pool)
    processor = CommandProcessor(store, Repository(store, registry))
    relay = Relay(
        pool,
        relay_nc,
        RelayConfig(service=SERVICE, replicas=3, poll_interval=0.1, publish_timeout=2),
    )
    await relay.ensure_stream()
    info = await check_nc.jetstream().stream_info(STREAM)
    assert info.config.num_replicas == 3
    runner = ProjectionRunner(
        pool, runner_nc, balances_projection(), registry, poll_interval=0.2, ack_wait=5
    )

    acknowledged: list[str] = []
    expected: dict[str, tuple[int, int]] = {}

    async def command(account: str, decide: Any) -> None:
        envelope = CommandEnvelope(command_id=new_id(), type="Deposit", actor=SYSTEM_ACTOR)
        result = await processor.handle(envelope, ACCOUNT, account, decide)
        acknowledged.extend(result["event_ids"])

    async def writer(index: int) -> None:
        account = f"account-{index}"
        await command(account, lambda s: open_account(s, f"owner {index}"))
        total = 0
        for amount in range(1, DEPOSITS + 1):
            await command(account, lambda s, amount=amount: deposit(s, amount))
            total += amount
            expected[account] = (total, amount)
            await asyncio.sleep(0.01)  # a stream of commands, not one burst

    killed = None
    try:
        async with running(relay.run, runner.run):
            writers = [asyncio.create_task(writer(i)) for i in range(ACCOUNTS)]

            async def enough() -> bool:
                return await stream_messages(check_nc) >= KILL_AFTER

            await wait_until(enough, timeout=30, message="relay stalled before the kill")
            cluster = (await check_nc.jetstream().stream_info(STREAM)).cluster
            assert cluster is not None
            leader = cluster.leader
            killed = next(node for node in nats_cluster if node.name == leader)
            killed.kill()
            before_kill = len(acknowledged)
            await asyncio.gather(*writers)
            assert len(acknowledged) == ACCOUNTS * (DEPOSITS + 1)
            assert before_kill < len(acknowledged) / 2, "the kill came too late to matter"

            async def all_published() -> bool:
                return await stream_messages(check_nc) >= len(acknowledged)

            await wait_until(all_published, timeout=60, message="not every event was published")

            async def projected() -> bool:
                rows = await pool.fetch("SELECT account, balance, deposits FROM balances")
                return {r["account"]: (r["balance"], r["deposits"]) for r in rows} == expected

            await wait_until(projected, timeout=60, message="projection differs from the fold")

        published = await read_stream(check_nc, STREAM)
        ids = [p.event_id for p in published]
        assert len(ids) == len(set(ids)), "an event was published twice"
        assert sorted(ids) == sorted(acknowledged)
        assert [p.store_seq for p in published] == list(range(1, len(acknowledged) + 1))

        # The killed node comes back on its ports and store and catches up from its peers.
        killed.start()
        await wait_until(
            lambda: node_holds(killed, len(acknowledged)),
            timeout=60,
            message=f"{killed.name} did not catch up",
        )

        async def replicas_current() -> bool:
            cluster = (await check_nc.jetstream(timeout=2).stream_info(STREAM)).cluster
            if cluster is None:
                return False
            peers = cluster.replicas or []
            return (
                len(peers) == 2
                and all(p.current and not p.offline for p in peers)
                and killed.name in {cluster.leader, *(p.name for p in peers)}
            )

        await wait_until(replicas_current, timeout=60, message="replicas never all current")
    finally:
        for client in (relay_nc, runner_nc, check_nc):
            with contextlib.suppress(Exception):
                await client.close()
