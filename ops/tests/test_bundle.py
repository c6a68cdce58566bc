"""`ishc export CLUB` / `ishc import BUNDLE`: into an empty deployment, the club's
projections come back; importing again adds nothing; a damaged bundle is refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from ishc_contracts import new_id, subjects
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

from .conftest import MakeDatabase, World

pytestmark = pytest.mark.integration


async def balances(pool: asyncpg.Pool, accounts: list[UUID]) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT account_id, owner, balance, version FROM balances WHERE account_id = ANY($1)"
        " ORDER BY account_id",
        accounts,
    )
    return [tuple(r) for r in rows]


async def test_export_then_import_into_an_empty_deployment_reproduces_the_club(
    world: World, fresh_database: MakeDatabase, tmp_path: Path
) -> None:
    club = new_id()
    ours = [await world.open_with(100, 250, club=club), await world.open_with(70, club=club)]
    await world.open_with(999, club=new_id())  # another club's account stays behind
    async with running(world.relay().run, world.runner().run):
        await wait_until(lambda: _applied(world, 7), timeout=20, message="source projected")
    expected = await balances(world.pool, ours)
    assert sorted(b[2] for b in expected) == [70, 350]

    bundle = tmp_path / "club.ishc.gz"
    exported = await world.ishc_json(
        "export", str(club), "-s", world.name, "-o", str(bundle), nats=False
    )
    assert exported["events"] == {world.name: 5}

    # Another deployment: an empty database, and the stream gone from the bus.
    await world.nc.jetstream().delete_stream(subjects.stream_name(world.name))
    other = await fresh_database("imported")
    imported = await world.ishc_raw(
        "import",
        str(bundle),
        "-s",
        world.name,
        "--database-url",
        other,
        "--yes",
        "--json",
    )
    assert imported.exit_code == 0, imported.output
    again = await world.ishc_raw(
        "import",
        str(bundle),
        "-s",
        world.name,
        "--database-url",
        other,
        "--yes",
        "--json",
    )
    assert again.exit_code == 0, again.output
    assert json.loads(imported.stdout)["added"] == {world.name: 5}
    assert json.loads(again.stdout)["added"] == {world.name: 0}

    pool = await create_pool(other)
    try:
        assert await pool.fetchval("SELECT count(*) FROM events") == 5
        relay = Relay(pool, world.nc, RelayConfig(service=world.name, poll_interval=0.05))
        projection = world.definition.projections[0]
        runner = ProjectionRunner(pool, world.nc, projection, world.definition.registry)
        async with running(relay.run, runner.run):

            async def reproduced() -> bool:
                return await balances(pool, ours) == expected

            await wait_until(reproduced, timeout=20, message="club projected in the new place")
        assert await pool.fetchval("SELECT count(*) FROM balances") == 2
    finally:
        await pool.close()


async def test_a_damaged_bundle_is_refused_before_anything_changes(
    world: World, fresh_database: MakeDatabase, tmp_path: Path
) -> None:
    club = new_id()
    await world.open_with(100, club=club)
    bundle = tmp_path / "club.ishc.gz"
    await world.ishc_json("export", str(club), "-s", world.name, "-o", str(bundle), nats=False)
    text = gzip.decompress(bundle.read_bytes()).replace(b'"amount":100', b'"amount":900')
    bundle.write_bytes(gzip.compress(text))
    other = await fresh_database("damaged")

    refused = await world.ishc_raw(
        "import", str(bundle), "-s", world.name, "--database-url", other, "--yes"
    )

    assert refused.exit_code == 1
    assert "checksum mismatch" in refused.stderr


async def _applied(world: World, n: int) -> bool:
    seq = await world.pool.fetchval(
        "SELECT stream_seq FROM projection_checkpoints WHERE projection = $1",
        f"{world.name}_balances",
    )
    return bool(seq and seq >= n)
