"""Fixtures of the fault suite: a started system per module, its workload, and the checks.

Each module gets fresh temp dirs (Postgres data, NATS store, service logs), never the
servers of the rest of the test session, and never 5432/4222.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from ishc_runtime.testing.plugin import announce_result

from .checks import Checks
from .processes import Nats
from .system import System, running_system
from .workload import Workload

Say = Callable[[str], None]


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ishc-faults-"))
    try:
        yield path
    finally:
        if not os.environ.get("ISHC_FAULTS_KEEP"):  # keep the logs to read after a run
            shutil.rmtree(path, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(workdir: Path) -> AsyncIterator[System]:
    """Postgres, one NATS server and two instances of every service, shared by the
    scenarios of a module (each leaves it running and healthy)."""
    bus = Nats(workdir / "nats")
    bus.start()
    async with running_system(workdir, bus) as started:
        yield started


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def workload(system: System, request: pytest.FixtureRequest) -> Workload:
    seed = int(getattr(request.module, "SEED", 17))
    return Workload(system.nc, seed=seed)


@pytest.fixture
def say(request: pytest.FixtureRequest) -> Say:
    """Print a line of what the scenario did or checked, in the `make test` output."""

    def line(text: str) -> None:
        announce_result(request.node, text)

    return line


@pytest_asyncio.fixture(loop_scope="session")
async def checks(system: System, workload: Workload, say: Say) -> Checks:
    return Checks(system, workload, say)
