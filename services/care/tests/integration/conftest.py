"""The care service over real NATS + Postgres, under its real bus name, with a stand-in for
membership: contract events appended to a throwaway store and published by a real relay."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest_asyncio
from nats.aio.client import Client

from care.definition import definition
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, Event, EventMetadata, new_id
from ishc_runtime.clock import FakeClock
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure

# Wednesday 2026-12-30, 12:00 in Ha Noi: inside ISO week 2026-W53.
NOW = datetime(2026, 12, 30, 5, 0, tzinfo=UTC)
MakeDatabase = Callable[[str], Awaitable[str]]


def command(kind: str, **payload: Any) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=_json(payload)
    )


def _json(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if not isinstance(v, (int, list, dict, type(None))) else v
            for k, v in payload.items()}  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest_asyncio.fixture(loop_scope="session")
async def care(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None, clock: FakeClock
) -> AsyncIterator[Service]:
    settings = ServiceSettings(
        database_url=database_dsn, nats_url=infrastructure.nats_url, run_scheduler=False
    )
    async with Service(definition(), settings, clock=clock) as service:
        yield service


@dataclass
class Membership:
    """Appends membership contract events; the relay publishes them on MEMBERSHIP."""

    store: EventStore

    async def publish(self, stream_id: str, *events: Event) -> None:
        version = await self.store.stream_version(stream_id)
        metadata = EventMetadata(
            correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC)
        )
        write = StreamWrite(stream_id, events[0].aggregate, version, list(events))
        await self.store.append([write], metadata)


@pytest_asyncio.fixture(loop_scope="session")
async def membership(
    fresh_database: MakeDatabase, nats_client: Client, service_streams: None
) -> AsyncIterator[Membership]:
    dsn = await fresh_database("membership_feed")
    await migrate(dsn)
    pool: asyncpg.Pool = await create_pool(dsn)
    relay = Relay(pool, nats_client, RelayConfig(service="membership", poll_interval=0.05))
    await relay.ensure_stream()
    try:
        async with running(relay.run):
            yield Membership(EventStore(pool))
    finally:
        await pool.close()
