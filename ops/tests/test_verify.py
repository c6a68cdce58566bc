"""`ishc projections verify`: a projection against a fold of its streams, while it runs."""

from __future__ import annotations

import asyncio

import pytest

from ishc_contracts import subjects
from ishc_ops import status as statuses
from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

from .conftest import World
from .test_rebuild import caught_up, leftovers

pytestmark = pytest.mark.integration


async def test_a_projection_equal_to_its_fold_verifies_while_events_keep_arriving(
    world: World,
) -> None:
    projection = world.definition.projections[0]
    for n in range(5):
        await world.open_with(n + 1, n + 2)
    stop = asyncio.Event()

    async def keep_appending() -> None:
        while not stop.is_set():
            await world.open_with(7)
            await asyncio.sleep(0.02)

    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)
        writer = asyncio.create_task(keep_appending())
        try:
            result = await world.ishc_json("projections", "verify", world.name)
        finally:
            stop.set()
            await writer
        # The live projection was not switched nor stopped: it still follows the stream.
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)

    [verified] = result
    assert verified["projection"] == projection.name
    assert verified["same"] is True
    [balances] = verified["tables"]
    assert balances["live_rows"] == balances["folded_rows"] >= 5
    assert balances["live_checksum"] == balances["folded_checksum"]
    # Compared where the live projection stood: at least the 15 events appended first.
    assert verified["checkpoints"][world.name] >= 15
    assert await leftovers(world, projection.name) == []


async def test_a_lost_event_in_the_live_tables_is_reported_and_fails_the_command(
    world: World,
) -> None:
    projection = world.definition.projections[0]
    kept = await world.open_with(10, 20)
    await world.open_with(30)
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection.name), timeout=20)
    # What a deposed runner does: the checkpoint moved past an event never applied.
    await world.pool.execute(
        "UPDATE balances SET balance = balance - 20 WHERE account_id = $1", kept
    )

    result = await world.ishc("projections", "verify", world.name, projection.name)

    assert result.exit_code == 1, result.output
    assert "DIFFERS" in result.stdout
    assert f"differs from a fold of its streams: {projection.name}" in result.stderr
    rows = await world.pool.fetch("SELECT account_id, balance FROM balances ORDER BY balance")
    assert [r["balance"] for r in rows] == [10, 30]  # verify never repairs: it only tells
    assert await leftovers(world, projection.name) == []


async def test_status_names_the_instance_leading_each_role(world: World) -> None:
    projection = f"{world.name}_balances"
    relay = f"relay:{subjects.stream_name(world.name)}"
    await world.open_with(1)
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: caught_up(world, projection), timeout=20)
        rows = await world.ishc_json("projections", "status", world.name)
        table = await world.ishc("projections", "status", world.name)
        led = await statuses.leaders(world.pool, [relay, "scheduler"])
    assert rows[0]["leader"] is not None
    assert led[relay] is not None
    assert led["scheduler"] is None  # no scheduler runs in this test
    assert table.exit_code == 0
    assert relay in table.stdout
