"""Append: commands per second through the command path, beside two references.

- ours: `CommandProcessor.handle` (load → decide → `ishc_append`: idempotency record,
  expected-version check, lock-free insert, NOTIFY), every command a new command_id, a
  deposit on one of the client's own account streams (opened beforehand, round robin, so
  conflicts are rare). The service's relay runs beside the clients (its own pool and
  connection, as in a service): it sequences what commits, woken by the NOTIFY, and
  publishes it to JetStream; so what is measured is the whole gap-safe write path, and the
  run checks afterwards that every event got a contiguous `seq` and was published.
- raw: the same events inserted with asyncpg, one INSERT per command in its own transaction,
  into a table with the same columns and a primary key only: no seq, no idempotency record,
  no version check, no NOTIFY.
- eventsourcing (PyPI, psycopg, its own database): an Aggregate, one `trigger_event` per
  command, `app.save`. Measured two ways: with the aggregate reloaded per command
  (`repository.get`, like our path) and held in memory (save only); the faster is the
  reference the target is computed against.

Per client count the four contenders are measured in alternating slices
(`bench.measure.interleave`), so that they share whatever else the machine is doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.infra import Servers, libpq_parts, token
from bench.measure import (
    Measurement,
    Operation,
    Side,
    TimeBox,
    WaitSampler,
    interleave,
    settle,
    wait_for,
)
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventMetadata, new_id
from ishc_runtime.aggregates import Repository
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    Deposited,
    deposit,
    open_account,
    sample_registry,
)


@dataclass(frozen=True)
class AppendSettings:
    box: TimeBox
    streams_per_client: int = 100


def _streams(client: int, settings: AppendSettings) -> list[str]:
    return [ACCOUNT.stream_id(f"c{client}-{i}") for i in range(settings.streams_per_client)]


async def alone(side: contextlib.AbstractAsyncContextManager[Side], box: TimeBox) -> Measurement:
    """Measure one side by itself (diagnostics)."""
    async with side as ready:
        await settle()
        [measured] = await interleave([ready], box)
    return measured


async def together(
    sides: list[contextlib.AbstractAsyncContextManager[Side]], box: TimeBox
) -> list[Measurement]:
    """Measure several sides in alternating slices, so that all see the same background."""
    async with contextlib.AsyncExitStack() as stack:
        ready = [await stack.enter_async_context(side) for side in sides]
        await settle()
        return await interleave(ready, box)
    raise AssertionError("unreachable")  # pragma: no cover - mypy: the stack may swallow


@contextlib.asynccontextmanager
async def ours(
    servers: Servers,
    clients: int,
    settings: AppendSettings,
    *,
    name: str,
    notify: bool = True,
    relay: bool = True,
    sample_waits: bool = False,
    count_fsyncs: bool = False,
) -> AsyncIterator[Side]:
    """The command path; with `relay`, the service's real relay runs beside the clients (its
    own pool), sequencing what commits and publishing it to a fresh JetStream stream. After
    the measurement: every event has a contiguous `seq` and was published."""
    dsn = await servers.database("append_ours")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=clients, max_size=clients)
    relay_pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        store = EventStore(pool, notify=notify)
        processor = CommandProcessor(store, Repository(store, sample_registry()))
        streams = [_streams(c, settings) for c in range(clients)]

        async def open_all(own: list[str]) -> None:
            for stream in own:
                command = CommandEnvelope(command_id=new_id(), type="Open", actor=SYSTEM_ACTOR)
                await processor.handle(command, ACCOUNT, stream, lambda s: open_account(s, "A"))

        await asyncio.gather(*(open_all(own) for own in streams))
        await servers.checkpoint()

        def operation(own: list[str]) -> Operation:
            turn = iter(range(1 << 62))

            async def one() -> object:
                stream = own[next(turn) % len(own)]
                command = CommandEnvelope(command_id=new_id(), type="Deposit", actor=SYSTEM_ACTOR)
                return await processor.handle(command, ACCOUNT, stream, lambda s: deposit(s, 7))

            return one

        detail: dict[str, Any] = {
            "notify": notify,
            "relay": relay,
            "streams_per_client": settings.streams_per_client,
        }
        sampler = WaitSampler(dsn, count_fsyncs=count_fsyncs) if sample_waits else None
        side = Side(name, "commands", [operation(s) for s in streams], sampler, detail)
        async with servers.nats("bench-append-relay") as nc:
            worker = Relay(relay_pool, nc, RelayConfig(service=f"benchappend{token()}"))
            await worker.ensure_stream()
            async with contextlib.AsyncExitStack() as beside:
                if relay:
                    await beside.enter_async_context(running(worker.run))
                async with _sampling(sampler, detail):
                    yield side
                if relay:  # everything committed gets sequenced and published
                    await wait_for(lambda: _drained(worker), timeout=60)
            await nc.jetstream().delete_stream(worker.config.stream)
        detail.update(await _verify_store(pool, check_sequenced=relay))
    finally:
        await relay_pool.close()
        await pool.close()


@contextlib.asynccontextmanager
async def _sampling(sampler: WaitSampler | None, detail: dict[str, Any]) -> AsyncIterator[None]:
    if sampler is None:
        yield
        return
    await sampler.open()
    try:
        yield
    finally:
        await sampler.close()
        detail["pg_waits"] = sampler.summary()


async def _drained(relay: Relay) -> bool:
    return await relay.lag() == 0


@contextlib.asynccontextmanager
async def store_only(
    servers: Servers,
    clients: int,
    settings: AppendSettings,
    *,
    name: str,
    notify: bool = True,
    sample_waits: bool = False,
    count_fsyncs: bool = False,
) -> AsyncIterator[Side]:
    """Diagnostic: `EventStore.append` alone (idempotency record, version check, insert),
    with the expected version known in memory, as an aggregate cache would know it: no load,
    no decide. The relay is not running."""
    dsn = await servers.database("append_store")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=clients, max_size=clients)
    try:
        store = EventStore(pool, notify=notify)
        await servers.checkpoint()

        def operation(own: list[str]) -> Operation:
            versions = dict.fromkeys(own, 0)
            turn = iter(range(1 << 62))

            async def one() -> object:
                stream = own[next(turn) % len(own)]
                command_id = new_id()
                meta = EventMetadata(
                    correlation_id=command_id,
                    causation_id=command_id,
                    actor=SYSTEM_ACTOR,
                    occurred_at=datetime.now(UTC),
                    command_id=command_id,
                )
                write = StreamWrite(stream, "account", versions[stream], [Deposited(amount=7)])
                result = {"command_id": str(command_id), "streams": {stream: versions[stream] + 1}}
                await store.append([write], meta, command_id=command_id, result=result)
                versions[stream] += 1
                return None

            return one

        detail: dict[str, Any] = {"notify": notify}
        sampler = WaitSampler(dsn, count_fsyncs=count_fsyncs) if sample_waits else None
        operations = [operation(_streams(c, settings)) for c in range(clients)]
        async with _sampling(sampler, detail):
            yield Side(name, "commands", operations, sampler, detail)
    finally:
        await pool.close()


async def _verify_store(pool: asyncpg.Pool, *, check_sequenced: bool) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT count(*) AS events, count(seq) AS sequenced, coalesce(max(seq), 0) AS top,"
        " (SELECT count(*) FROM commands) AS commands,"
        " (SELECT count(DISTINCT stream_id) FROM events) AS streams FROM events"
    )
    assert row is not None
    if check_sequenced and not (row["sequenced"] == row["top"] == row["events"]):
        msg = f"sequencing left a gap or a hole: {dict(row)}"
        raise AssertionError(msg)
    return {
        "events_in_store": row["events"],
        "commands_recorded": row["commands"],
        "avg_stream_length": round(row["events"] / max(row["streams"], 1), 1),
        "seq_contiguous": check_sequenced,
    }


_RAW_TABLE = """
CREATE TABLE raw_events (
    pos            bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL,
    stream_id      text        NOT NULL,
    stream_type    text        NOT NULL,
    version        integer     NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""

_RAW_INSERT = (
    "INSERT INTO raw_events (event_id, stream_id, stream_type, version, type, schema_version,"
    " data, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)


def _metadata_json() -> str:
    """The metadata the command path stores, built as a raw client would (a dict, dumped)."""
    ids = uuid.uuid4()
    return json.dumps(
        {
            "correlation_id": str(ids),
            "causation_id": str(ids),
            "actor": {"user_id": "system", "role": "system"},
            "club_id": None,
            "occurred_at": datetime.now(UTC).isoformat(),
            "command_id": str(ids),
            "trace_context": {},
        }
    )


@contextlib.asynccontextmanager
async def raw(
    servers: Servers,
    clients: int,
    settings: AppendSettings,
    *,
    name: str,
    sample_waits: bool = False,
    count_fsyncs: bool = False,
) -> AsyncIterator[Side]:
    dsn = await servers.database("append_raw")
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    assert pool is not None
    try:
        await pool.execute(_RAW_TABLE)
        await servers.checkpoint()

        def operation(own: list[str]) -> Operation:
            versions = dict.fromkeys(own, 1)  # version 1 is the opening, as in ours
            turn = iter(range(1 << 62))

            async def one() -> object:
                stream = own[next(turn) % len(own)]
                versions[stream] += 1
                return await pool.execute(
                    _RAW_INSERT,
                    uuid.uuid4(),
                    stream,
                    "account",
                    versions[stream],
                    "sample.Deposited",
                    1,
                    json.dumps({"amount": 7}),
                    _metadata_json(),
                )

            return one

        detail: dict[str, Any] = {}
        sampler = WaitSampler(dsn, count_fsyncs=count_fsyncs) if sample_waits else None
        operations = [operation(_streams(c, settings)) for c in range(clients)]
        async with _sampling(sampler, detail):
            yield Side(name, "commands", operations, sampler, detail)
    finally:
        await pool.close()


# -- the eventsourcing library ---------------------------------------------------------


class _EventsourcingClients:
    """Threads saving aggregates through one eventsourcing Application (blocking code), run
    in slices like the asyncio sides: `run(seconds)` lets every thread loop that long."""

    def __init__(self, dsn: str, clients: int, settings: AppendSettings, reload: bool) -> None:
        from eventsourcing.application import Application  # noqa: PLC0415

        from bench.es_account import BenchAccount  # noqa: PLC0415

        parts = libpq_parts(dsn)
        self.app: Application[Any] = Application(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": parts["dbname"],
                "POSTGRES_HOST": parts["host"],
                "POSTGRES_PORT": parts["port"],
                "POSTGRES_USER": parts["user"],
                "POSTGRES_PASSWORD": parts["password"],
                "POSTGRES_POOL_SIZE": str(clients),
                "POSTGRES_MAX_OVERFLOW": "0",
                "CREATE_TABLE": "y",
            }
        )
        self.reload = reload
        self.accounts: list[list[Any]] = []
        for _ in range(clients):
            own = [BenchAccount("A") for _ in range(settings.streams_per_client)]
            self.app.save(*own)  # opened beforehand, as in ours
            self.accounts.append(own)
        self.turns = [0] * clients
        self.threads = ThreadPoolExecutor(clients)

    def _client(self, index: int, end: float) -> tuple[int, int]:
        own, counted, done = self.accounts[index], 0, 0
        while True:
            turn = self.turns[index] % len(own)
            account = own[turn]
            if self.reload:
                account = self.app.repository.get(account.id)
            account.deposit(7)
            self.app.save(account)
            own[turn] = account
            self.turns[index] += 1
            done += 1
            if time.monotonic() > end:
                return counted, done
            counted += 1

    def run(self, seconds: float) -> tuple[int, int]:
        end = time.monotonic() + seconds
        futures = [self.threads.submit(self._client, i, end) for i in range(len(self.accounts))]
        results = [future.result() for future in futures]
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def close(self) -> None:
        self.threads.shutdown()
        self.app.close()


@contextlib.asynccontextmanager
async def eventsourcing(
    servers: Servers, clients: int, settings: AppendSettings, *, name: str, reload: bool
) -> AsyncIterator[Side]:
    """The `eventsourcing` library on its own database: per command `repository.get` (when
    `reload`, like our load), `trigger_event`, `app.save`."""
    dsn = await servers.database("append_es")
    es = await asyncio.to_thread(_EventsourcingClients, dsn, clients, settings, reload)
    try:
        await servers.checkpoint()

        async def run(seconds: float) -> tuple[int, int]:
            return await asyncio.to_thread(es.run, seconds)

        detail: dict[str, Any] = {"clients": clients, "reload_per_command": reload}
        yield Side(name, "saves", [], None, detail, run)
    finally:
        await asyncio.to_thread(es.close)


# -- latency diagnostics: what one round trip and one replayed event cost ----------------


async def _interleaved(
    calls: list[tuple[str, str, Operation]], seconds: float, rounds: int = 5
) -> list[Measurement]:
    """Sequential calls per second for each variant, measured in alternating slices so that
    drift (CPU frequency, neighbours on the VM) is shared equally by all variants."""
    counts = [0] * len(calls)
    spent = [0.0] * len(calls)
    for _, _, call in calls:
        for _ in range(50):
            await call()
    for _ in range(rounds):
        for index, (_, _, call) in enumerate(calls):
            started = time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds / rounds:
                await call()
                counts[index] += 1
            spent[index] += elapsed
    return [
        Measurement(name, counts[i], spent[i], unit, {"clients": 1})
        for i, (name, unit, _) in enumerate(calls)
    ]


async def latencies(servers: Servers, seconds: float = 2.0) -> list[Measurement]:
    """One client, sequential: a trivial query through the runtime's pool and on a held
    connection; `Repository.load` of a 50-event stream (snapshot_every=100, so the 50 events
    are replayed), with snapshots off and as shipped: the command path's read side."""
    dsn = await servers.database("latency")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=1)
    conn = await asyncpg.connect(dsn)
    try:
        store = EventStore(pool, notify=False)
        repository = Repository(store, sample_registry())
        processor = CommandProcessor(store, repository)
        stream = ACCOUNT.stream_id("replayed")
        command = CommandEnvelope(command_id=new_id(), type="Open", actor=SYSTEM_ACTOR)
        await processor.handle(command, ACCOUNT, stream, lambda s: open_account(s, "A"))
        for _ in range(49):
            command = CommandEnvelope(command_id=new_id(), type="Deposit", actor=SYSTEM_ACTOR)
            await processor.handle(command, ACCOUNT, stream, lambda s: deposit(s, 7))
        no_snapshots = replace(ACCOUNT, snapshot_every=None)
        return await _interleaved(
            [
                (
                    "diag: runtime pool.fetchval('SELECT 1')",
                    "calls",
                    lambda: pool.fetchval("SELECT 1"),
                ),
                (
                    "diag: held connection .fetchval('SELECT 1')",
                    "calls",
                    lambda: conn.fetchval("SELECT 1"),
                ),
                (
                    "diag: Repository.load, 50 events, snapshots off",
                    "loads",
                    lambda: repository.load(no_snapshots, stream),
                ),
                (
                    "diag: Repository.load, 50 events, as shipped",
                    "loads",
                    lambda: repository.load(ACCOUNT, stream),
                ),
            ],
            seconds,
        )
    finally:
        await conn.close()
        await pool.close()
