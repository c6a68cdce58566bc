"""Pytest plugin: real Postgres and NATS for every test, isolated per test.

Registered from the repository's root ``conftest.py``::

    pytest_plugins = ["ishc_runtime.testing.plugin"]

Fixtures:

* ``infrastructure`` (session): :class:`Infrastructure` with ``postgres_dsn`` and
  ``nats_url``; see :mod:`ishc_runtime.testing.infrastructure` for how it is found.
* ``fresh_database`` (function): ``async make(name_hint) -> dsn`` creating new databases,
  all dropped at teardown. ``database_dsn``: one such database.
* ``stream_suffix`` (function): a unique token for stream and subject names; streams whose
  name contains it are deleted at teardown.
* ``nats_client`` (function): a connected ``nats.aio.client.Client``, closed at teardown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client

from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import (
    Infrastructure,
    choose_backends,
    docker_available,
    provide_infrastructure,
)
from ishc_runtime.testing.jetstream import delete_streams_containing, unique_token

MakeDatabase = Callable[[str], Awaitable[str]]

_DESCRIPTION = pytest.StashKey[str]()
ANNOUNCED = "ishc-announced"
_CONFIG: list[pytest.Config] = []


def _announce(config: pytest.Config, line: str) -> None:
    """Write ``line`` to the terminal now, past pytest's output capturing."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.ensure_newline()
        reporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG[:] = [config]


def announce_result(item: pytest.Item, line: str) -> None:
    """Print ``line`` under the test's result in the terminal, even from a pytest-xdist
    worker (it travels in the report's user properties) and with output captured; it is
    also printed to the test's stdout."""
    item.user_properties.append((ANNOUNCED, line))
    print(line)  # noqa: T201 - shown with the test's output when it fails


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    lines = [str(value) for key, value in report.user_properties if key == ANNOUNCED]
    if report.when != "call" or not lines or not _CONFIG:
        return
    reporter = _CONFIG[0].pluginmanager.get_plugin("terminalreporter")
    if reporter is None or getattr(_CONFIG[0], "workerinput", None) is not None:
        return  # an xdist worker: the controller writes them when the report arrives
    reporter.ensure_newline()
    reporter.write_line(f"{report.nodeid}:")
    for line in lines:
        reporter.write_line(f"  {line}")


@pytest.fixture(scope="session")
def infrastructure(
    request: pytest.FixtureRequest,
) -> Iterator[Infrastructure]:
    """Postgres and NATS for the session: env URLs, else testcontainers, else embedded."""
    choice = choose_backends(os.environ, docker_available)
    # Not pytest's tmp_path: pytest prunes old numbered temp dirs, and a session running in
    # parallel (another checkout, a developer's run beside CI's) would delete our data dir.
    workdir = Path(tempfile.mkdtemp(prefix="ishc-test-infra-"))
    with (
        contextlib.ExitStack() as cleanup,
        provide_infrastructure(choice, os.environ, workdir) as found,
    ):
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        description = found.describe()
        request.config.stash[_DESCRIPTION] = description
        _announce(request.config, f"ishc infrastructure: {description}")
        yield found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat the chosen backends at the end, where CI logs are read."""
    description = terminalreporter.config.stash.get(_DESCRIPTION, None)
    if description is not None:
        terminalreporter.write_sep("-", "ishc infrastructure")
        terminalreporter.write_line(description)


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database(infrastructure: Infrastructure) -> AsyncIterator[MakeDatabase]:
    """``await fresh_database("hint")`` returns the DSN of a new, empty database."""
    factory = DatabaseFactory(infrastructure.postgres_dsn)
    try:
        yield factory.create
    finally:
        await factory.drop_all()


@pytest_asyncio.fixture(loop_scope="session")
async def database_dsn(request: pytest.FixtureRequest, fresh_database: MakeDatabase) -> str:
    """DSN of one fresh database for this test, named after the test."""
    return await fresh_database(request.node.name)


@pytest_asyncio.fixture(loop_scope="session")
async def stream_suffix(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A unique token for this test's stream and subject names; its streams die with it."""
    token = unique_token()
    try:
        yield token
    finally:
        await delete_streams_containing(infrastructure.nats_url, token)


@pytest_asyncio.fixture(loop_scope="session")
async def nats_client(infrastructure: Infrastructure) -> AsyncIterator[Client]:
    """A NATS connection for this test, closed at teardown."""
    client = await nats.connect(infrastructure.nats_url, name="ishc-test", connect_timeout=5)
    try:
        yield client
    finally:
        if not client.is_closed:
            await client.close()


SERVICE_STREAMS = ("MEMBERSHIP", "FINANCE", "CARE", "ADVOCACY", "GATEWAY")


@pytest_asyncio.fixture(loop_scope="session")
async def service_streams(infrastructure: Infrastructure) -> AsyncIterator[None]:
    """For tests that run the real services under their real bus names: their streams are
    deleted before and after the test, so each test starts from an empty bus."""

    async def wipe() -> None:
        for name in SERVICE_STREAMS:
            await delete_streams_containing(infrastructure.nats_url, name, exact=True)

    await wipe()
    try:
        yield
    finally:
        await wipe()
