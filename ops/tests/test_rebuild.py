"""`ishc projections rebuild`: blue-green, while commands keep arriving and reads go on."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, QueryEnvelope, new_id, subjects
from ishc_ops import shadow
from ishc_ops.rebuild import Rebuild
from ishc_ops.targets import use_definition
from ishc_runtime.projections import Projection
from ishc_runtime.service import (
    Service,
    ServiceContext,
    ServiceDefinition,
    ServiceSettings,
    ask,
    send_command,
)
from ishc_runtime.testing.background import running
from ishc_runtime.testing.sample_domain import Deposited
from ishc_runtime.testing.waiting import wait_until

from .conftest import World

pytestmark = pytest.mark.integration


def command(kind: str, **payload: object) -> CommandEnvelope:
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=payload)


async def from_scratch(world: World) -> set[tuple[Any, ...]]:
    """The balances read model folded straight from the store."""
    rows = await world.pool.fetch(
        "SELECT stream_id, max(version) AS version,"
        " max(data->>'owner') FILTER (WHERE type = 'sample.AccountOpened') AS owner,"
        " coalesce(sum((data->>'amount')::bigint)"
        "   FILTER (WHERE type = 'sample.Deposited'), 0) AS balance"
        " FROM events GROUP BY stream_id"
    )
    return {
        (UUID(r["stream_id"].removeprefix("account-")), r["owner"], r["balance"], r["version"])
        for r in rows
    }


async def live(world: World) -> set[tuple[Any, ...]]:
    rows = await world.pool.fetch("SELECT account_id, owner, balance, version FROM balances")
    return {tuple(r) for r in rows}


async def caught_up(world: World, projection: str) -> bool:
    """Every committed event is relayed and applied."""
    checkpoint = await world.pool.fetchval(
        "SELECT stream_seq FROM projection_checkpoints WHERE projection = $1", projection
    )
    store = await world.pool.fetchrow(
        "SELECT max(seq) AS last, count(*) FILTER (WHERE seq IS NULL) AS unsequenced FROM events"
    )
    assert store is not None
    return bool(store["unsequenced"] == 0 and checkpoint == store["last"])


async def leftovers(world: World, projection: str) -> list[str]:
    schemas = await world.pool.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild_%' OR nspname LIKE 'retired_%'"
    )
    checkpoints = await world.pool.fetch(
        "SELECT projection FROM projection_checkpoints WHERE projection = $1",
        projection + "__rebuild",
    )
    return [r[0] for r in [*schemas, *checkpoints]]


async def seed(world: World, service: Service, accounts: int, deposits: int) -> list[str]:
    ids = [str(new_id()) for _ in range(accounts)]
    for account in ids:
        reply = await send_command(
            world.nc, world.name, command("OpenAccount", account_id=account, owner="Lan")
        )
        assert reply.ok, reply.problem
    for n in range(deposits):
        reply = await send_command(
            world.nc,
            world.name,
            command("Deposit", account_id=ids[n % accounts], amount=1000 + n),
        )
        assert reply.ok, reply.problem
    return ids


async def test_rebuild_while_commands_arrive_equals_a_fold_and_reads_never_fail(
    world: World, stopping_definition: ServiceDefinition
) -> None:
    projection = f"{world.name}_balances"
    settings = ServiceSettings(database_url=world.dsn, nats_url=world.nats_url)
    async with Service(stopping_definition, settings) as service:
        ids = await seed(world, service, accounts=5, deposits=150)
        await wait_until(lambda: caught_up(world, projection), timeout=20)
        # A wrong live row (as if the projection had a bug): the rebuild must replace it.
        await world.pool.execute(
            "UPDATE balances SET balance = -1 WHERE account_id = $1", UUID(ids[0])
        )

        stop = asyncio.Event()
        failures: list[str] = []
        reads = 0

        async def writer() -> None:
            n = 0
            while not stop.is_set():
                reply = await send_command(
                    world.nc, world.name, command("Deposit", account_id=ids[n % 5], amount=7)
                )
                if not reply.ok:
                    failures.append(f"command: {reply.problem}")
                n += 1
                await asyncio.sleep(0.005)  # pacing: a steady load, not waiting for anything

        async def reader() -> None:
            nonlocal reads
            while not stop.is_set():
                try:
                    reply = await ask(
                        world.nc,
                        world.name,
                        QueryEnvelope(
                            type="Balance", actor=SYSTEM_ACTOR, params={"account_id": ids[1]}
                        ),
                    )
                    if not reply.ok:
                        failures.append(f"query: {reply.problem}")
                    await world.pool.fetchval("SELECT sum(balance) FROM balances")
                    reads += 1
                except Exception as error:
                    failures.append(repr(error))
                await asyncio.sleep(0.002)  # pacing: a steady load, not waiting for anything

        tasks = [asyncio.create_task(writer()), asyncio.create_task(reader())]
        try:
            result = await world.ishc_json(
                "projections", "rebuild", world.name, projection, "--yes"
            )
            switched_at = reads
            # Keep the load on until reads have run on the switched tables too.
            await wait_until(lambda: reads >= switched_at + 20, timeout=30, message="no reads")
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        assert result["switched"] is True
        # The bulk was read with an ordered consumer, to where the stream ended when the fill
        # began (the durable consumer took what came after).
        [ordered] = result["ordered_reads"]
        assert ordered["complete"] is True
        assert ordered["checkpoint"] >= 5 + 150  # the seed at least
        [compared] = result["comparison"]
        assert compared["table"] == "balances"
        assert compared["same"] is False  # the tampered row
        assert failures == []
        assert reads > 10

        async def equal_to_a_fold() -> bool:
            return await live(world) == await from_scratch(world)

        # The last commands' events reach the (switched) live projection, then it is a fold.
        await wait_until(equal_to_a_fold, timeout=20, message="live read model equals a fold")
        assert await leftovers(world, projection) == []
        status = await world.ishc_json("projections", "status", world.name)
        assert status[0]["state"] == "caught up"


async def test_a_declined_rebuild_leaves_the_live_version_untouched(
    world: World, stopping_definition: ServiceDefinition
) -> None:
    projection = f"{world.name}_balances"
    settings = ServiceSettings(database_url=world.dsn, nats_url=world.nats_url)
    async with Service(stopping_definition, settings) as service:
        ids = await seed(world, service, accounts=2, deposits=10)
        await wait_until(lambda: caught_up(world, projection), timeout=20)
        await world.pool.execute(
            "UPDATE balances SET balance = -1 WHERE account_id = $1", UUID(ids[0])
        )
        before = await live(world)

        declined = await world.ishc("projections", "rebuild", world.name, projection, input="n\n")

        assert declined.exit_code == 5, declined.output
        assert "live read model is untouched" in declined.stderr
        assert await live(world) == before
        assert await leftovers(world, projection) == []
        consumers = await world.nc.jetstream().consumers_info(subjects.stream_name(world.name))
        assert [c.name for c in consumers if "__rebuild" in (c.name or "")] == []


async def test_a_rebuild_whose_ordered_read_fails_is_filled_by_the_durable_consumer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    projection = world.definition.projections[0]
    await world.open_with(1, 2)
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)

        async def refused(*args: object, **kw: object) -> None:
            raise RuntimeError("no ephemeral consumers for this user")

        monkeypatch.setattr(shadow, "read_ordered", refused)
        result = await world.ishc_json(
            "projections", "rebuild", world.name, projection.name, "--yes"
        )

        assert result["switched"] is True
        assert result["ordered_reads"] == []
        assert "no ephemeral consumers" in result["ordered_error"]
        assert all(row["same"] for row in result["comparison"])
        assert result["checkpoints"] == {world.name: 3}
    assert await leftovers(world, projection.name) == []


async def test_unknown_projections_and_reactions_are_not_rebuilt(world: World) -> None:
    result = await world.ishc("projections", "rebuild", world.name, "nope", "--yes")
    assert result.exit_code == 3
    assert "are never rebuilt" in result.stderr

    def notify(ctx: ServiceContext) -> Projection:
        return Projection(name=f"{world.name}_notify", sources=[world.name], policy="park")

    with_reaction = replace(world.definition, reactions=[notify])
    with use_definition(with_reaction):
        status = await world.ishc_json("projections", "status", world.name)
        assert [(r["projection"], r["kind"]) for r in status] == [
            (f"{world.name}_balances", "projection"),
            (f"{world.name}_notify", "reaction"),
        ]
        refused = await world.ishc(
            "projections", "rebuild", world.name, f"{world.name}_notify", "--yes"
        )
    assert refused.exit_code == 3
    assert "never rebuilt" in refused.stderr


async def test_the_switch_catches_the_shadow_up_to_the_paused_live_projection(
    world: World,
) -> None:
    """The live projection got ahead of the (stopped) shadow: the switch pauses the live
    runner, lets the shadow catch up to exactly there, and only then swaps."""
    projection = world.definition.projections[0]
    await world.open_with(1, 2)
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)
        rebuild = Rebuild(
            world.pool, world.nc, world.dsn, world.definition, projection, poll_interval=0.05
        )
        try:
            await rebuild.prepare()
            await rebuild.fill()
            await rebuild.stop_runner()
            await world.open_with(4, 5)
            await wait_until(lambda: caught_up(world, projection.name), timeout=20)
            assert await rebuild.checkpoints(world.pool, rebuild.name) == {world.name: 3}

            continues_from = await rebuild.switch()
        finally:
            await rebuild.close()
        assert continues_from == {world.name: 6}
        await world.open_with(6)

        async def equal_to_a_fold() -> bool:
            return await live(world) == await from_scratch(world)

        await wait_until(equal_to_a_fold, timeout=20, message="live equals a fold")
    assert await leftovers(world, projection.name) == []


async def test_a_rebuild_from_a_time_folds_only_the_events_recorded_since(world: World) -> None:
    projection = world.definition.projections[0]
    earlier = await world.open_with(100, 200)  # seq 1-3
    cut = await world.pool.fetchval("SELECT clock_timestamp()")
    later = await world.open_with(5, 6)  # seq 4-6
    # An update to a row created before the cut: the new version has no row for it.
    await world.append(earlier, Deposited(amount=7))
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)
        assert {r[0] for r in await live(world)} == {earlier, later}

        result = await world.ishc_json(
            "projections",
            "rebuild",
            world.name,
            projection.name,
            "--from",
            cut.isoformat(),
            "--yes",
        )

    assert result["from_sequences"] == {world.name: 4}
    assert result["checkpoints"] == {world.name: 7}
    assert await live(world) == {(later, "Lan", 11, 3)}
    assert await leftovers(world, projection.name) == []


async def test_a_rebuild_from_a_time_after_the_last_event_starts_empty_at_the_end(
    world: World,
) -> None:
    projection = world.definition.projections[0]
    await world.open_with(1)
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)
        future = "2999-01-01T00:00"  # no offset: Viet Nam time
        result = await world.ishc_json(
            "projections", "rebuild", world.name, projection.name, "--from", future, "--yes"
        )
    assert result["started_at"] == "2998-12-31T17:00:00+00:00"
    assert result["from_sequences"] == {world.name: 3}
    assert await live(world) == set()


async def test_a_malformed_start_time_is_a_usage_error(world: World) -> None:
    projection = world.definition.projections[0]
    result = await world.ishc(
        "projections", "rebuild", world.name, projection.name, "--from", "last tuesday", "--yes"
    )
    assert result.exit_code == 2
    assert "not an ISO date or time" in result.stderr
