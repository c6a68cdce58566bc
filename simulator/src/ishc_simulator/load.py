"""Bulk loading: simulate clubs, append their streams through `EventStore.append` (many streams
per call) into each service's own database, then optionally let relays and the reporting
projections catch up."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.process
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import nats

from ishc_contracts import SYSTEM_ACTOR, EventMetadata, new_id
from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.privacy import MasterKeys, Privacy, SubjectKeys
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import Worker, running
from ishc_simulator.club import simulate_club
from ishc_simulator.world import ClubPlan, Params, plan_network
from reporting.definition import projections

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
    progress_every: int = 100,
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
        if progress is not None and stats.clubs % progress_every == 0:
            progress(stats)
    await sink.close()
    return stats


async def open_stores(
    dsns: Mapping[str, str], master_keys: Mapping[str, MasterKeys] | None = None
) -> tuple[dict[str, EventStore], list[asyncpg.Pool]]:
    """Each service's own database, migrated (the event store tables). With a service's master
    keys its history is sealed as the service itself would seal it (field encryption, ADR
    0051): invented people, but the stores look like production's."""
    stores, pools = {}, []
    for service, dsn in dsns.items():
        await migrate(dsn)
        pool = await create_pool(dsn)
        pools.append(pool)
        master = (master_keys or {}).get(service)
        privacy = None if master is None else Privacy(service, SubjectKeys(pool, master), REGISTRY)
        stores[service] = EventStore(pool, notify=False, privacy=privacy)
    return stores, pools


async def simulate(
    params: Params,
    dsns: Mapping[str, str],
    master_keys: Mapping[str, MasterKeys] | None = None,
    **kwargs: object,
) -> LoadStats:
    stores, pools = await open_stores({s: dsns[s] for s in params.services}, master_keys)
    try:
        return await load_plans(plan_network(params), params, stores, **kwargs)  # type: ignore[arg-type]
    finally:
        for pool in pools:
            await pool.close()


@dataclass
class CatchUp:
    seconds: float
    relays: dict[str, int]
    projections: dict[str, int]
    parked: int


def component_groups(
    services: Iterable[str], projections_heaviest_first: Sequence[str], workers: int
) -> list[list[str]]:
    """Split the relays ("relay:<service>") and the reporting projections
    ("projection:<name>") over `workers` processes. One worker: everything together. Two:
    the relays, and the projections. More: the relays together (they finish early), the
    heaviest projections each alone, the rest together in the last process."""
    relays = [f"relay:{service}" for service in services]
    runners = [f"projection:{name}" for name in projections_heaviest_first]
    if workers <= 1:
        return [[*relays, *runners]]
    alone = max(0, min(workers - 2, len(runners) - 1))
    groups = [relays, *([runner] for runner in runners[:alone]), runners[alone:]]
    return [group for group in groups if group]


class _Components:
    """The relays and projection runners of a catch-up (or only some of them), on their
    own NATS connection and pools."""

    def __init__(self, dsns: Mapping[str, str], reporting_dsn: str, nats_url: str) -> None:
        self.dsns, self.reporting_dsn, self.nats_url = dsns, reporting_dsn, nats_url
        self.pools: list[asyncpg.Pool] = []
        self.relays: list[Relay] = []
        self.runners: list[ProjectionRunner] = []
        self.reporting_pool: asyncpg.Pool | None = None

    async def open(self, names: Iterable[str]) -> None:
        self.nc = await nats.connect(self.nats_url, name="ishc-simulator")
        wanted = {n.removeprefix("projection:") for n in names if n.startswith("projection:")}
        if wanted:
            pool = self.reporting_pool = await create_pool(self.reporting_dsn)
            self.pools.append(pool)
            self.runners += [
                ProjectionRunner(pool, self.nc, p, REGISTRY, poll_interval=0.05)
                for p in projections()
                if p.name in wanted
            ]
        for name in names:
            if name.startswith("relay:"):
                service = name.removeprefix("relay:")
                pool = await create_pool(self.dsns[service])
                self.pools.append(pool)
                relay = Relay(pool, self.nc, RelayConfig(service=service, poll_interval=0.05))
                await relay.ensure_stream()
                self.relays.append(relay)

    def runs(self) -> list[Worker]:
        return [*(r.run for r in self.relays), *(r.run for r in self.runners)]

    async def lags(self, *, elsewhere: bool = False) -> dict[str, int]:
        """Each relay's and projection's lag. `elsewhere`: the relays run in other processes,
        so their position is read from the store and stream, not from this object."""
        found = {}
        for relay in self.relays:
            if elsewhere:
                async with relay.pool.acquire() as conn:
                    relay.checkpoint = await relay.resume_point(conn)
            found[f"relay:{relay.config.service}"] = await relay.lag()
        for runner in self.runners:
            for source, lag in (await runner.lag()).items():
                found[f"{runner.projection.name}:{source}"] = lag
        return found

    async def close(self) -> None:
        for pool in self.pools:
            await pool.close()
        await self.nc.close()


def _work(names: list[str], dsns: dict[str, str], reporting_dsn: str, nats_url: str) -> None:
    """A worker process: run its components until it is terminated (they are crash-safe:
    relays and projections resume from their checkpoints)."""

    async def work() -> None:
        components = _Components(dsns, reporting_dsn, nats_url)
        await components.open(names)
        async with running(*components.runs()):
            await asyncio.Event().wait()

    asyncio.run(work())


async def catch_up(
    dsns: Mapping[str, str],
    reporting_dsn: str,
    nats_url: str,
    *,
    timeout: float = 3_600,
    poll: float = 0.5,
    progress: Callable[[float, dict[str, int]], None] | None = None,
    workers: int = 0,
) -> CatchUp:
    """Run each service's relay and the reporting projections until nothing lags: the time
    it took, and how many events each relay published and each projection applied.
    `progress(seconds, lags)` sees each poll's lags ("relay:<service>", "<projection>:<source>").
    `workers=0` runs them all in this process (one core at most); `workers=N` in N processes
    (`component_groups`), as services and reporting run apart in production.
    """
    await migrate(reporting_dsn, MigrationSource.package("reporting", "reporting.projections"))
    watched = _Components(dsns, reporting_dsn, nats_url)
    caught_up_by_us = [p for p in projections() if set(p.sources) <= set(dsns)]
    await watched.open(
        [*(f"relay:{s}" for s in dsns), *(f"projection:{p.name}" for p in caught_up_by_us)]
    )
    # Weigh each projection by its sources' events, so the heaviest gets a process to itself.
    events = {
        r.config.service: int(await r.pool.fetchval("SELECT count(*) FROM events"))
        for r in watched.relays
    }
    weight = {p.name: sum(events[source] for source in p.sources) for p in caught_up_by_us}
    heaviest_first = sorted(weight, key=weight.__getitem__, reverse=True)
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        started = time.perf_counter()

        async def done() -> bool:
            for process in processes:
                if process.exitcode is not None:
                    msg = f"catch-up worker {process.name} exited with {process.exitcode}"
                    raise RuntimeError(msg)
            now = await watched.lags(elsewhere=bool(workers))
            if progress is not None:
                progress(time.perf_counter() - started, now)
            return not any(now.values())

        spawn = multiprocessing.get_context("spawn")
        for group in component_groups(dsns, heaviest_first, workers) if workers else []:
            worker = spawn.Process(
                target=_work,
                args=(group, dict(dsns), reporting_dsn, nats_url),
                name="+".join(group),
                daemon=True,
            )
            worker.start()
            processes.append(worker)
        here = contextlib.nullcontext() if workers else running(*watched.runs())
        async with here:
            while not await done():
                if time.perf_counter() - started > timeout:
                    msg = f"not caught up after {timeout:.0f} s"
                    raise TimeoutError(msg)
                await asyncio.sleep(poll)
        seconds = time.perf_counter() - started
        for process in processes:
            process.terminate()
            process.join()
        reporting_pool = watched.reporting_pool
        assert reporting_pool is not None  # opened with every projection above
        applied = {
            row["projection"]: int(row["applied"])
            for row in await reporting_pool.fetch(
                "SELECT projection, sum(stream_seq) AS applied FROM projection_checkpoints"
                " GROUP BY projection"
            )
        }
        parked = int(
            await reporting_pool.fetchval(
                "SELECT count(*) FROM parked_messages WHERE resolved_at IS NULL"
            )
        )
        # Nothing is appended during a catch-up: caught up, every stored event is published.
        return CatchUp(seconds, events, applied, parked)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
        await watched.close()
