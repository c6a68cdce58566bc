"""`ishc dlq list|show|redrive|discard`: redrive applies once, in order; discard settles."""

from __future__ import annotations

import json

import pytest

from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

from .conftest import POISON, World

pytestmark = pytest.mark.integration


async def park_poison(world: World, *amounts: int) -> None:
    """Publish the deposits and let the projection park the poison ones."""
    await world.open_with(*amounts)
    expected = 1 + len(amounts)
    async with running(world.relay().run, world.runner().run):

        async def applied() -> bool:
            seq = await world.pool.fetchval(
                "SELECT stream_seq FROM projection_checkpoints WHERE projection = $1",
                f"{world.name}_balances",
            )
            return bool(seq and seq >= expected)

        await wait_until(applied, timeout=20, message="projection applied everything")


async def balance(world: World) -> int:
    return int(await world.pool.fetchval("SELECT coalesce(sum(balance), 0) FROM balances"))


async def test_redrive_applies_a_parked_event_once_and_in_order(world: World) -> None:
    await park_poison(world, 100, POISON, 200, POISON)
    assert await balance(world) == 300

    listed = await world.ishc_json("dlq", "list", world.name, nats=False)
    assert [(r["stream_seq"], r["reason"], r["disposition"]) for r in listed] == [
        (3, "handler_failed", "parked"),
        (5, "handler_failed", "parked"),
    ]
    shown = await world.ishc_json("dlq", "show", world.name, str(listed[0]["id"]), nats=False)
    assert "thirteen" in shown["detail"]
    assert shown["payload"]["data"] == {"amount": POISON}

    # Still broken: the first fails again, stays parked, and the second is not tried.
    failed = await world.ishc("dlq", "redrive", world.name, "--yes", "--json", nats=False)
    assert failed.exit_code == 1
    assert [r["outcome"] for r in json.loads(failed.stdout)] == ["failed"]
    assert await balance(world) == 300

    world.broken["yes"] = False
    declined = await world.ishc("dlq", "redrive", world.name, nats=False, input="n\n")
    assert declined.exit_code == 5
    assert await balance(world) == 300

    done = await world.ishc_json("dlq", "redrive", world.name, "--yes", nats=False)
    assert [(r["id"], r["outcome"]) for r in done] == [
        (listed[0]["id"], "redriven"),
        (listed[1]["id"], "redriven"),
    ]
    assert await balance(world) == 300 + 2 * POISON

    again = await world.ishc(
        "dlq", "redrive", world.name, str(listed[0]["id"]), "--yes", nats=False
    )
    assert again.exit_code == 3  # resolved already: nothing applied twice
    assert await balance(world) == 300 + 2 * POISON
    assert await world.ishc_json("dlq", "list", world.name, nats=False) == []
    history = await world.ishc_json("dlq", "list", world.name, "--all", nats=False)
    assert [r["resolution"] for r in history] == ["redriven", "redriven"]


async def test_discard_settles_without_applying(world: World) -> None:
    await park_poison(world, 100, POISON)
    [parked] = await world.ishc_json("dlq", "list", world.name, nats=False)

    confirmed = await world.ishc(
        "dlq",
        "discard",
        world.name,
        str(parked["id"]),
        "--note",
        "pilot data",
        nats=False,
        input="y\n",
    )

    assert confirmed.exit_code == 0, confirmed.output
    assert await balance(world) == 100
    [settled] = await world.ishc_json("dlq", "list", world.name, "--all", nats=False)
    assert settled["resolution"] == "discarded"
    shown = await world.ishc_json("dlq", "show", world.name, str(parked["id"]), nats=False)
    assert shown["detail"].endswith("[discarded] pilot data")
    table = await world.ishc("dlq", "list", world.name, nats=False)
    assert table.exit_code == 0
