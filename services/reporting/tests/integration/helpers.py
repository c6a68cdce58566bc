"""Helpers for reporting's integration tests: the reporting service over real NATS + Postgres,
fed by stand-ins for the four services (their contract events appended to throwaway stores
and published by real relays); catching up; asking for indicators over NATS."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest_asyncio
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, Event, EventMetadata, QueryEnvelope, new_id
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.service import Service, ServiceSettings, ask
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until
from reporting.definition import definition

SERVICES = ("membership", "finance", "care", "advocacy")


@dataclass
class Feed:
    """One service's throwaway store; its relay publishes on the service's real stream."""

    service: str
    store: EventStore
    relay: Relay

    async def publish(self, entity: object, *events: Event) -> None:
        stream_id = f"{events[0].aggregate}-{entity}"
        version = await self.store.stream_version(stream_id)
        metadata = EventMetadata(
            correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC)
        )
        write = StreamWrite(stream_id, events[0].aggregate, version, list(events))
        await self.store.append([write], metadata)


MakeDatabase = Callable[[str], Awaitable[str]]


@pytest_asyncio.fixture(loop_scope="session")
async def feeds(
    fresh_database: MakeDatabase, nats_client: Client, service_streams: None
) -> AsyncIterator[dict[str, Feed]]:
    async with contextlib.AsyncExitStack() as stack:
        out: dict[str, Feed] = {}
        for service in SERVICES:
            dsn = await fresh_database(f"{service}_feed")
            await migrate(dsn)
            pool: asyncpg.Pool = await create_pool(dsn)
            stack.push_async_callback(pool.close)
            relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))
            await relay.ensure_stream()
            await stack.enter_async_context(running(relay.run))
            out[service] = Feed(service, EventStore(pool), relay)
        yield out


@pytest_asyncio.fixture(loop_scope="session")
async def reporting(
    database_dsn: str, infrastructure: Infrastructure, feeds: dict[str, Feed]
) -> AsyncIterator[Service]:
    settings = ServiceSettings(
        database_url=database_dsn,
        nats_url=infrastructure.nats_url,
        run_relay=False,
        run_scheduler=False,
    )
    async with Service(definition(), settings) as service:
        yield service


async def caught_up(service: Service, feeds: dict[str, Feed], timeout: float = 60) -> None:
    """Every relay has published everything and every reporting projection applied it."""

    async def done() -> bool:
        for feed in feeds.values():
            if await feed.relay.lag() != 0:
                return False
        for runner in service.runners.values():
            if any(lag != 0 for lag in (await runner.lag()).values()):
                return False
        return True

    await wait_until(done, timeout=timeout, message="reporting projections lagging")
    parked = await service.context.pool.fetch(
        "SELECT projection, event_type, reason FROM parked_messages"
    )
    assert [dict(r) for r in parked] == [], "a reporting projection parked events"


async def ask_reporting(nc: Client, query: str, **params: Any) -> dict[str, Any]:
    """Reporting's answer to `query` over NATS, asserted successful."""
    reply = await ask(nc, "reporting", QueryEnvelope(type=query, actor=SYSTEM_ACTOR, params=params))
    assert reply.ok, reply.problem
    assert reply.result is not None
    return reply.result


async def indicators(nc: Client, **params: Any) -> dict[str, Any]:
    return await ask_reporting(nc, "Indicators", **params)


def units(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in result["units"]}
