"""The whole system as separate OS processes, and what the scenarios do to it.

One Postgres (a database per service) and NATS (one server, or a three-node cluster), then
every service as `python -m <service>`, two instances each by default, each with its own
health port and `<SERVICE>_INSTANCE_ID`. The test process keeps its own connections (opened
before any fault, so a connection hog cannot lock the checks out) to read stores, streams
and leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx
import nats
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_ops import status as statuses
from ishc_ops.targets import with_reactions
from ishc_ops.verify import Verifier
from ishc_runtime.relay.relay import SEQ_HEADER
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.nats_nodes import NatsNode, start_cluster
from ishc_runtime.testing.waiting import wait_until

from .processes import Postgres, ServiceProcess

SERVICES = ("membership", "finance", "care", "advocacy", "reporting")


class Cluster:
    """A three-node JetStream cluster; streams are R3 on it."""

    def __init__(self, workdir: Path) -> None:
        self.nodes = start_cluster(workdir)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def node(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class Bus(Protocol):
    """A single NATS server or a cluster: what the system needs of it."""

    @property
    def urls(self) -> list[str]: ...

    def stop(self) -> None: ...


def definition_of(service: str) -> ServiceDefinition:
    built: ServiceDefinition = importlib.import_module(f"{service}.definition").definition()
    return built


@dataclass
class System:
    workdir: Path
    postgres: Postgres
    bus: Bus
    instances: dict[str, list[ServiceProcess]]
    clock_files: dict[str, Path]
    http: httpx.AsyncClient
    nc: NatsClient
    pools: dict[str, asyncpg.Pool] = field(default_factory=dict)
    definitions: dict[str, ServiceDefinition] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    verifiers: dict[str, Verifier] = field(default_factory=dict)
    # Per service, the store's last `seq` when the system was last found quiet (`behind`).
    settled_seq: dict[str, int] = field(default_factory=dict)
    # Per service, how far its processes' clocks run ahead of real time, in seconds.
    clock_offsets: dict[str, float] = field(default_factory=dict)

    # -- building ---------------------------------------------------------------------------

    def dsn(self, service: str) -> str:
        return self.postgres.dsn(f"ishc_{service}")

    async def create_databases(self) -> None:
        conn = await asyncpg.connect(self.postgres.dsn())
        try:
            for service in self.services:
                await conn.execute(f'CREATE DATABASE "ishc_{service}"')
        finally:
            await conn.close()

    async def open_pools(self) -> None:
        for service in self.services:
            self.pools[service] = await create_pool(
                self.dsn(service), min_size=2, max_size=4, application_name="fault-checks"
            )

    def start_services(self) -> None:
        for processes in self.instances.values():
            for process in processes:
                process.start()

    @property
    def all_instances(self) -> list[ServiceProcess]:
        return [p for processes in self.instances.values() for p in processes]

    def instance(self, service: str, index: int = 1) -> ServiceProcess:
        return self.instances[service][index - 1]

    async def ready(self, instances: Iterable[ServiceProcess] | None = None) -> bool:
        chosen = list(instances or self.all_instances)
        answers = await asyncio.gather(*(p.readiness(self.http) for p in chosen))
        return all(answer is not None for answer in answers)

    async def wait_ready(
        self, instances: Iterable[ServiceProcess] | None = None, timeout: float = 180
    ) -> None:
        chosen = list(instances or self.all_instances)

        def dead() -> list[ServiceProcess]:
            return [p for p in chosen if not p.alive]

        async def ready() -> bool:
            gone = dead()
            if gone:
                raise AssertionError(
                    "; ".join(
                        f"{p.instance_id} exited {p.exit_code}:\n{p.log_tail()}" for p in gone
                    )
                )
            return await self.ready(chosen)

        try:
            await wait_until(ready, timeout=timeout, interval=0.25)
        except AssertionError as error:
            answers = await asyncio.gather(*(p.readiness(self.http) for p in chosen))
            lagging = [p for p, answer in zip(chosen, answers, strict=True) if answer is None]
            details = [
                f"{p.instance_id}: {await p.why_not_ready(self.http)}\n{p.log_tail(1500)}"
                for p in lagging
            ]
            raise AssertionError("not ready:\n" + "\n".join(details)) from error

    async def restart(
        self, process: ServiceProcess, extra_env: dict[str, str] | None = None
    ) -> None:
        if process.alive:
            process.kill()
        process.start(extra_env)

    # -- leadership -------------------------------------------------------------------------

    async def leader_of(self, service: str, role: str) -> ServiceProcess | None:
        """The instance leading `role` (`relay:FINANCE`, `scheduler`,
        `projection:<projection>:<source>`) of `service` now, or None."""
        holder = (await statuses.leaders(self.pools[service], [role]))[role]
        if holder is None:
            return None
        for process in self.instances[service]:
            if process.instance_id == holder:
                return process
        return None

    async def wait_leader(self, service: str, role: str, timeout: float = 60) -> ServiceProcess:
        found: list[ServiceProcess] = []

        async def led() -> bool:
            leader = await self.leader_of(service, role)
            if leader is None:
                return False
            found.append(leader)
            return True

        await wait_until(led, timeout=timeout, interval=0.2, message=f"nobody leads {role}")
        return found[-1]

    async def lease_sessions(self, service: str) -> list[int]:
        """Backend pids of the sessions of the instances leading any role of `service`."""
        pool = self.pools[service]
        roles = statuses.service_roles(self.definitions[service]) + [
            f"projection:{projection.name}:{source}"
            for projection, _ in with_reactions(self.definitions[service], pool)
            for source in projection.sources
        ]
        holders = {h for h in (await statuses.leaders(pool, roles)).values() if h is not None}
        ports: set[int] = set()
        for process in self.instances[service]:
            if process.instance_id in holders:
                ports |= process.client_ports()
        rows = await pool.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])", list(ports)
        )
        return sorted(int(r["pid"]) for r in rows)

    async def terminate(self, service: str, backends: list[int]) -> int:
        terminated = 0
        for pid in backends:
            terminated += bool(
                await self.pools[service].fetchval("SELECT pg_terminate_backend($1)", pid)
            )
        return terminated

    # -- faults -----------------------------------------------------------------------------

    async def crash_at(
        self,
        service: str,
        point: str,
        role: str | None = None,
        trigger: Callable[[], None] | None = None,
    ) -> str:
        """Make an instance die (SIGKILL by itself) at the `ISHC_FAULT` point `point`: the
        other instance is restarted with the fault set, and, when the point is reached only
        by a role's leader, the current leader is killed so that it takes over. Both come
        back without the fault afterwards."""
        victim = self.instance(service, 2)
        other = self.instance(service, 1)
        if role is not None:
            leader = await self.wait_leader(service, role)
            other = leader
            victim = next(p for p in self.instances[service] if p is not leader)
        await self.restart(victim, {"ISHC_FAULT": point})
        if role is not None:
            # It may lead another role with the same point and die before it is ready.
            async def up_or_dead() -> bool:
                return not victim.alive or await self.ready([victim])

            await wait_until(up_or_dead, timeout=120, interval=0.2, message="never ready")
            if victim.alive:
                other.kill()
                if trigger is not None:
                    # Only once the victim leads: the old leader must not do the work first.
                    async def victim_leads() -> bool:
                        return not victim.alive or await self.leader_of(service, role) is victim

                    await wait_until(victim_leads, timeout=120, interval=0.2)
                    trigger()

        async def died() -> bool:
            return not victim.alive

        await wait_until(died, timeout=120, interval=0.2, message=f"{point} never reached")
        code = victim.exit_code
        victim.wait_exited()
        for process in (victim, other):
            if not process.alive:
                process.start()
        await self.wait_ready(self.instances[service])
        return f"{victim.instance_id} ran with ISHC_FAULT={point} and died there (exit {code})"

    async def hog_connections(self) -> list[asyncpg.Connection]:
        """Open sessions until Postgres refuses more (max_connections reached)."""
        held: list[asyncpg.Connection] = []
        while True:
            try:
                held.append(await asyncpg.connect(self.postgres.dsn(), timeout=5))
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                return held
            if len(held) > self.postgres.max_connections:
                raise AssertionError("Postgres never refused a connection")

    def set_clock(self, offset_seconds: float, only: Iterable[str] | None = None) -> None:
        """The clock of every process of every service (or of the `only` ones) is now the
        real time plus `offset_seconds`."""
        for service in self.services if only is None else only:
            temporary = self.clock_files[service].with_suffix(".new")
            temporary.write_text(str(offset_seconds))
            temporary.replace(self.clock_files[service])
            self.clock_offsets[service] = offset_seconds

    async def next_timer_in(self, service: str) -> float:
        """Seconds from now (real time) to the earliest timer of `service` still to fire."""
        seconds = await self.pools[service].fetchval(
            "SELECT extract(epoch FROM min(due_at) - now()) FROM timers WHERE fired_at IS NULL"
            " AND failed_at IS NULL AND cancelled_at IS NULL"
        )
        assert seconds is not None, f"{service} has no timer left to fire"
        return float(seconds)

    async def pending_due_timers(self) -> int:
        """Timers due by their service's clock that have not fired yet."""
        pending = 0
        for service in self.services:
            pending += await self.pools[service].fetchval(
                "SELECT count(*) FROM timers WHERE fired_at IS NULL AND failed_at IS NULL"
                " AND cancelled_at IS NULL AND due_at <= now() + make_interval(secs => $1)",
                self.clock_offsets.get(service, 0.0),
            )
        return pending

    async def due_timers(self) -> list[str]:
        """The due timers not fired yet, with why (for a failure message)."""
        found = []
        for service in self.services:
            for row in await self.pools[service].fetch(
                "SELECT key, attempts, last_error FROM timers WHERE fired_at IS NULL"
                " AND failed_at IS NULL AND cancelled_at IS NULL"
                " AND due_at <= now() + make_interval(secs => $1) ORDER BY key LIMIT 5",
                self.clock_offsets.get(service, 0.0),
            ):
                found.append(f"{service} {row['key']} ({row['attempts']}: {row['last_error']})")
        return found

    async def wait_timers_fired(self, stalled_after: float = 60) -> None:
        """Until every timer due by the services' clock has fired. A jump of weeks makes
        thousands due at once, and how fast they fire depends on the machine: fail only when
        no timer fired for `stalled_after` seconds. Progress is timers fired, not fewer
        pending: a weekly timer that fires schedules the next week's, due within the jump too."""
        loop = asyncio.get_running_loop()
        fired = await self.fired_timers()
        progressed = loop.time()

        async def all_fired() -> bool:
            nonlocal fired, progressed
            now_pending = await self.pending_due_timers()
            now_fired = await self.fired_timers()
            if now_fired > fired:
                fired, progressed = now_fired, loop.time()
            if now_pending and loop.time() - progressed > stalled_after:
                late = await self.due_timers()
                msg = f"due timers stopped firing ({now_pending} left): {late}"
                raise AssertionError(msg)
            return now_pending == 0

        await wait_until(all_fired, timeout=900, interval=0.5)

    async def fired_timers(self) -> int:
        fired = 0
        for service in self.services:
            fired += await self.pools[service].fetchval(
                "SELECT count(*) FROM timers WHERE fired_at IS NOT NULL"
            )
        return fired

    # -- quiet ------------------------------------------------------------------------------

    async def stream_last_store_seq(self, service: str) -> int:
        try:
            last = await self.nc.jetstream(timeout=5).get_last_msg(
                subjects.stream_name(service), subjects.all_events(service)
            )
        except NotFoundError:
            return 0
        return int((last.headers or {}).get(SEQ_HEADER, 0))

    async def behind(self) -> list[str]:
        """What is not yet published or projected (empty: the system is quiet). Notes each
        store's last `seq` in `settled_seq`: when quiet, what the checks may expect in full
        (timers and reactions may append more while they run)."""
        lagging = []
        for service in self.services:
            pool = self.pools[service]
            row = await pool.fetchrow(
                "SELECT count(*) FILTER (WHERE seq IS NULL) AS unsequenced,"
                " coalesce(max(seq), 0) AS last FROM events"
            )
            assert row is not None
            self.settled_seq[service] = int(row["last"])
            if row["unsequenced"]:
                lagging.append(f"{service}: {row['unsequenced']} unsequenced")
            if row["last"] and await self.stream_last_store_seq(service) != row["last"]:
                lagging.append(f"{service}: relay behind")
            for status in await statuses.projection_status(
                pool, self.nc, self.definitions[service]
            ):
                if status["lag"] != 0:
                    lagging.append(f"{status['projection']}:{status['source']} lag {status['lag']}")
        return lagging

    async def settle(self, timeout: float = 180) -> None:
        """Wait until every event is published and every projection and reaction caught up."""
        seen: list[list[str]] = []

        async def quiet() -> bool:
            try:
                found = await self.behind()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as e:
                found = [repr(e)]
            seen.append(found)
            return not found

        try:
            await wait_until(quiet, timeout=timeout, interval=0.5)
        except AssertionError as error:
            raise AssertionError(
                f"the system never settled: {seen[-1] if seen else '?'}"
            ) from error

    # -- teardown ---------------------------------------------------------------------------

    async def close(self) -> None:
        for verifier in self.verifiers.values():
            with contextlib.suppress(Exception):
                await verifier.close()
        for process in self.all_instances:
            with contextlib.suppress(Exception):
                process.stop()
        for pool in self.pools.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), timeout=10)
        with contextlib.suppress(Exception):
            await self.nc.close()
        await self.http.aclose()
        with contextlib.suppress(Exception):
            self.bus.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()


async def connect_bus(urls: list[str], name: str) -> NatsClient:
    return await nats.connect(
        urls,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        connect_timeout=2,
        inbox_prefix="_INBOX_faults",
    )


def service_env(dsn: str, url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": dsn,
        "NATS_URL": url,
        "LOG_LEVEL": "INFO",
    }


@contextlib.asynccontextmanager
async def running_system(
    workdir: Path,
    bus: Bus,
    *,
    instances: int = 2,
    services: tuple[str, ...] = SERVICES,
    start_services: bool = True,
    postgres: Postgres | None = None,
    settings: dict[str, str] | None = None,
) -> AsyncIterator[System]:
    """Postgres (unless given), the databases, then the services; torn down afterwards."""
    postgres = postgres or Postgres(workdir / "postgres")
    if not postgres.server.running:
        postgres.start()
    clock_files = {service: workdir / f"clock-offset-{service}" for service in services}
    processes: dict[str, list[ServiceProcess]] = {}
    for number, service in enumerate(services):
        # One server each (a client learns the cluster's other nodes from it), spread out.
        url = bus.urls[number % len(bus.urls)]
        chosen = {**service_env(postgres.dsn(f"ishc_{service}"), url), **(settings or {})}
        processes[service] = [
            ServiceProcess(
                service, n, workdir, chosen, {"ISHC_FAULT_CLOCK_FILE": str(clock_files[service])}
            )
            for n in range(1, instances + 1)
        ]
    nc = await connect_bus(bus.urls, "fault-checks")
    system = System(
        workdir=workdir,
        postgres=postgres,
        bus=bus,
        instances=processes,
        clock_files=clock_files,
        http=httpx.AsyncClient(),
        nc=nc,
        definitions={s: definition_of(s) for s in SERVICES},
        services=services,
    )
    try:
        await system.create_databases()
        if start_services:
            system.start_services()
            await system.wait_ready()
            await system.open_pools()
        yield system
    finally:
        await system.close()


def describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())
