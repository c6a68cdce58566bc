"""Services started before their database accepts connections, as after a cluster restart
where the pods come up first: until Postgres is up, its port answers every session with
"the database system is starting up" (SQLSTATE 57P03), as Postgres does while it recovers.
The services must keep trying (not exit), become ready once it accepts, and lose nothing."""

from __future__ import annotations

import asyncio
import struct
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from ishc_runtime.testing.waiting import wait_until

from .checks import Checks
from .processes import Nats, Postgres
from .system import System, running_system

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

SEED = 41
SERVICES = ("membership", "finance", "care", "advocacy")


class StartingPostgres:
    """A listener on Postgres's port that refuses every session as a starting server does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.attempts: Counter[int] = Counter()  # by the client's pid, when it can be told
        self.total = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._refuse, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.total += 1
        try:
            length = struct.unpack("!i", await reader.readexactly(4))[0]
            body = await reader.readexactly(length - 4)
            if struct.unpack("!i", body[:4])[0] == 80877103:  # SSLRequest: no SSL here
                writer.write(b"N")
                await writer.drain()
                length = struct.unpack("!i", await reader.readexactly(4))[0]
                await reader.readexactly(length - 4)
            fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
            writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(workdir: Path) -> AsyncIterator[System]:
    bus = Nats(workdir / "nats")
    bus.start()
    postgres = Postgres(workdir / "postgres")
    postgres.start()
    async with running_system(
        workdir, bus, services=SERVICES, postgres=postgres, start_services=False
    ) as started:
        yield started


async def test_services_started_before_their_database_accepts(
    system: System, checks: Checks
) -> None:
    postgres = system.postgres
    postgres.stop()
    refusing = StartingPostgres(postgres.port)
    await refusing.start()
    try:
        system.start_services()
        instances = len(system.all_instances)
        # Every instance has tried (and been refused) a few times: the DB really was not up.
        # (An instance that gives up instead ends the wait too, and fails below.)
        await wait_until(
            lambda: (
                refusing.total >= 3 * instances or any(not p.alive for p in system.all_instances)
            ),
            timeout=120,
            interval=0.2,
            message="the services did not try to connect",
        )
        exited = [p.instance_id for p in system.all_instances if not p.alive]
        checks.say(
            f"{instances} instances started while Postgres refused sessions (57P03):"
            f" {refusing.total} attempts refused; exited meanwhile: {exited or 'none'}"
        )
        assert not exited, f"instances gave up instead of retrying: {exited}"
    finally:
        await refusing.stop()
    postgres.start()
    await system.wait_ready()
    await system.open_pools()

    async def nothing() -> str:
        return "none beyond the late database"

    await checks.under_load(nothing, before=20, after=40)
    await checks.invariants()
