"""Bulk loading: simulate clubs, append their streams through `EventStore.append` (many streams
per call) into each service's own database, then optionally let relays and the reporting
projections catch up."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from ishc_contracts import SYSTEM_ACTOR, EventMetadata, new_id
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from reporting.simulator.club import simulate_club
from reporting.simulator.world import ClubPlan, Params, plan_network

BATCH_EVENTS = 20_000


@dataclass
class LoadStats:
    clubs: int = 0
    events: dict[str, int] = field(default_factory=dict)
    appends: int = 0
    simulate_seconds: float = 0.0
    append_seconds: float = 0.0

    @property
    def total_events(self) -> int:
        return sum(self.events.values())


class Sink:
    """Collects StreamWrites per service and appends them in bulk batches."""

    def __init__(self, stores: Mapping[str, EventStore], stats: LoadStats, batch: int) -> None:
        self.stores = stores
        self.stats = stats
        self.batch = batch
        self.pending: dict[str, list[StreamWrite]] = {s: [] for s in stores}
        self.sizes: dict[str, int] = dict.fromkeys(stores, 0)

    async def add(self, service: str, writes: list[StreamWrite]) -> None:
        self.pending[service].extend(writes)
        self.sizes[service] += sum(len(w.events) for w in writes)
        if self.sizes[service] >= self.batch:
            await self.flush(service)

    async def flush(self, service: str) -> None:
        writes = self.pending[service]
        if not writes:
            return
        metadata = EventMetadata(
            correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC)
        )
        started = time.perf_counter()
        await self.stores[service].append(writes, metadata)
        self.stats.append_seconds += time.perf_counter() - started
        self.stats.appends += 1
        self.stats.events[service] = self.stats.events.get(service, 0) + self.sizes[service]
        self.pending[service], self.sizes[service] = [], 0

    async def close(self) -> None:
        for service in self.stores:
            await self.flush(service)


async def load_plans(
    plans: Iterable[ClubPlan],
    params: Params,
    stores: Mapping[str, EventStore],
    *,
    batch: int = BATCH_EVENTS,
    progress: Callable[[LoadStats], None] | None = None,
) -> LoadStats:
    """Simulate each club with the real domain code and append what it decided."""
    stats = LoadStats()
    sink = Sink(stores, stats, batch)
    rng = random.Random(params.seed * 7919 + 1)  # noqa: S311 - a seeded simulation
    for plan in plans:
        started = time.perf_counter()
        books = simulate_club(plan, params, rng)
        stats.simulate_seconds += time.perf_counter() - started
        for service, book in books.items():
            if service in stores:
                await sink.add(service, book.drain())
        stats.clubs += 1
        if progress is not None and stats.clubs % 100 == 0:
            progress(stats)
    await sink.close()
    return stats


async def open_stores(dsns: Mapping[str, str]) -> tuple[dict[str, EventStore], list[asyncpg.Pool]]:
    """Each service's own database, migrated (the event store tables)."""
    stores, pools = {}, []
    for service, dsn in dsns.items():
        await migrate(dsn)
        pool = await create_pool(dsn)
        pools.append(pool)
        stores[service] = EventStore(pool, notify=False)
    return stores, pools


async def simulate(params: Params, dsns: Mapping[str, str], **kwargs: object) -> LoadStats:
    stores, pools = await open_stores({s: dsns[s] for s in params.services})
    try:
        return await load_plans(plan_network(params), params, stores, **kwargs)  # type: ignore[arg-type]
    finally:
        for pool in pools:
            await pool.close()
