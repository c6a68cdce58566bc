"""`ishc store republish`: a lost stream comes back from the store, with no duplicate."""

from __future__ import annotations

import pytest

from ishc_contracts import subjects
from ishc_runtime.testing.background import running
from ishc_runtime.testing.published import read_stream
from ishc_runtime.testing.waiting import wait_until

from .conftest import World

pytestmark = pytest.mark.integration


async def test_republish_after_deleting_the_stream_restores_it_without_duplicates(
    world: World,
) -> None:
    stream = subjects.stream_name(world.name)
    for _ in range(3):
        await world.open_with(100, 200, 300)  # 12 events
    async with running(world.relay().run):
        await wait_until(lambda: _count(world, 12), message="relay published")
    before = await read_stream(world.nc, stream)
    await world.nc.jetstream().delete_stream(stream)

    declined = await world.ishc("store", "republish", world.name, "--from", "1", input="n\n")
    assert declined.exit_code == 5
    assert await world.stream_messages() == 0

    restored = await world.ishc_json("store", "republish", world.name, "--from", "1", "--yes")
    assert restored["sent"] == 12
    after = await read_stream(world.nc, stream)
    assert after == before  # same stream seqs, store seqs, ids: projections' checkpoints hold

    again = await world.ishc_json("store", "republish", world.name, "--from", "1", "--yes")
    assert again["sent"] == 0
    assert await read_stream(world.nc, stream) == before

    # The relay goes on from there: new events follow, nothing twice.
    await world.open_with(400)
    async with running(world.relay().run):
        await wait_until(lambda: _count(world, 14), message="relay continued")
    published = await read_stream(world.nc, stream)
    assert [p.store_seq for p in published] == list(range(1, 15))
    assert len({p.event_id for p in published}) == 14


async def test_republish_of_a_range_the_stream_holds_sends_nothing(world: World) -> None:
    await world.open_with(100)
    async with running(world.relay().run):
        await wait_until(lambda: _count(world, 2), message="relay published")

    result = await world.ishc("store", "republish", world.name, "--from", "1", "--yes")

    assert result.exit_code == 0
    assert "sent 0 events" in result.stdout
    assert await world.stream_messages() == 2


async def _count(world: World, n: int) -> bool:
    return await world.stream_messages() >= n
