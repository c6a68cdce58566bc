from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from ishc_contracts import EventRegistry
from ishc_runtime.aggregates import Repository
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.sample_domain import sample_registry


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_dsn)
    created = await create_pool(database_dsn, max_size=20)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def registry() -> EventRegistry:
    return sample_registry()


@pytest.fixture
def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool)


@pytest.fixture
def processor(store: EventStore, registry: EventRegistry) -> CommandProcessor:
    return CommandProcessor(store, Repository(store, registry))


@pytest.fixture
def service(stream_suffix: str) -> str:
    """A service name of this test's own, so its JetStream stream is its own too."""
    return f"sample{stream_suffix}"
