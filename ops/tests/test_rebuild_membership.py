"""Blue-green rebuilds of the real membership projections (connection handlers, several
tables each) equal the live read models they replace."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client

from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.service import Service
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until
from membership.definition import definition
from membership.settings import Settings

from .conftest import World

pytestmark = pytest.mark.integration

INDEXES = (
    "SELECT tablename, indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' AND tablename = any($1::text[]) ORDER BY 1, 2"
)
_SCENARIO = Path(__file__).parents[2] / "services/membership/tests/integration/scenario.py"


def scenario() -> ModuleType:
    spec = importlib.util.spec_from_file_location("membership_scenario_for_ops", _SCENARIO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest_asyncio.fixture(loop_scope="session")
async def membership(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None
) -> AsyncIterator[Service]:
    settings = Settings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(definition(), settings) as running_service:
        yield running_service


async def _caught_up(runner: ProjectionRunner) -> bool:
    return all(lag == 0 for lag in (await runner.lag()).values())


async def _all_caught_up(service: Service) -> bool:
    assert service.relay is not None
    if await service.relay.lag() != 0:
        return False
    return all([await _caught_up(r) for r in service.runners.values()])


async def test_every_membership_projection_rebuilt_blue_green_equals_the_live_one(
    membership: Service, nats_client: Client, database_dsn: str, infrastructure: Infrastructure
) -> None:
    steps = scenario()
    club = steps.Club()
    await steps.found(nats_client, club, size=8)
    await steps.govern(nats_client, club)
    await wait_until(lambda: _all_caught_up(membership), timeout=30, message="live lagging")
    pool = membership.context.pool
    live: dict[str, Any] = {}
    async with pool.acquire() as conn:
        for runner in membership.runners.values():
            for table in runner.projection.tables:
                live[table] = await table_rows(conn, table)
    indexes = await pool.fetch(INDEXES, list(live))

    cli = World(
        "membership", database_dsn, infrastructure.nats_url, definition(), pool, nats_client
    )
    # Reactions (retention timers) send commands and are never rebuilt: projections only.
    for name in (p.name for p in membership.definition.projections):
        result = await cli.ishc_json("projections", "rebuild", "membership", name, "--yes")
        assert result["switched"] is True
        assert all(row["same"] for row in result["comparison"]), result["comparison"]

    async with pool.acquire() as conn:
        for table, rows in live.items():
            assert await table_rows(conn, table) == rows, table
    assert len(live["membership_roster"]) == 8
    # The rebuilt tables carry the same constraints and indexes, under the same names.
    assert await pool.fetch(INDEXES, list(live)) == indexes


def _deliver_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


async def test_ctrl_c_at_the_switch_question_leaves_the_live_version_untouched(
    membership: Service, nats_client: Client, database_dsn: str, infrastructure: Infrastructure
) -> None:
    steps = scenario()
    club = steps.Club()
    await steps.found(nats_client, club, size=3)
    await wait_until(lambda: _all_caught_up(membership), timeout=30, message="live lagging")
    pool = membership.context.pool
    async with pool.acquire() as conn:
        before = await table_rows(conn, "membership_roster")

    # The real console script, as an operator runs it at a terminal; Ctrl-C while it asks.
    # At a terminal Ctrl-C is delivered; a process started in the background by a
    # non-interactive shell may inherit SIGINT ignored, which would make this test hang.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ishc_ops.cli", "projections", "rebuild", "membership",
        "membership_roster", "--nats-url", infrastructure.nats_url,
        env={**os.environ, "ISHC_MEMBERSHIP_DATABASE_URL": database_dsn, "COLUMNS": "120"},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=_deliver_ctrl_c,
    )  # fmt: skip
    assert process.stdout is not None
    seen = b""
    # If the question never comes, the failure shows what the command printed.
    try:
        async with asyncio.timeout(120):
            while b"Switch membership_roster" not in seen:
                chunk = await process.stdout.read(4096)
                assert chunk, seen.decode()
                seen += chunk
    except TimeoutError:
        process.kill()
        raise AssertionError(f"no switch question; the command said: {seen.decode()}") from None
    async with asyncio.timeout(60):
        rebuilding = await pool.fetchval(
            "SELECT count(*) FROM projection_checkpoints WHERE projection LIKE '%__rebuild'"
        )
        assert rebuilding == 1  # the shadow exists while it asks
        process.send_signal(signal.SIGINT)
        rest, _ = await process.communicate()
    output = (seen + rest).decode()

    assert process.returncode == 1, output
    assert "cancelled" in output
    assert (
        await pool.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild_%'") == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM projection_checkpoints WHERE projection LIKE '%__rebuild'"
        )
        == 0
    )
    async with pool.acquire() as conn:
        assert await table_rows(conn, "membership_roster") == before
