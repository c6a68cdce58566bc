"""A projection folded again beside the live one: what `rebuild` switches to and `verify`
compares with.

1. Shadow tables: `CREATE TABLE rebuild_<name>.<t> (LIKE <live t> INCLUDING ALL)`.
2. Fill: the runtime's own `ProjectionRunner` folds the sources from the first event (or the
   first recorded at/after `start_at`: `first_sequence_at`) under the name `<name>__rebuild`
   (its own checkpoints, consumers and leases), on connections whose `search_path` starts
   with the shadow schema, so the projection's unchanged SQL and batch writers write the
   shadow tables (checkpoints and dead letters, absent there, stay in `public`). The bulk,
   up to where the streams end when the fill starts, is read with an ordered consumer
   (`ishc_runtime.projections.ordered`: no acks); the rest, and anything the ordered read
   could not take, by the runner's durable consumer from the checkpoints.
3. A consistent point (`at_live`): in one transaction, lock the live checkpoints (the live
   runner waits at its next batch; readers are not blocked) and let the shadow catch up to
   them. A `bounded` shadow never applies past the live checkpoints, so there both fold
   exactly the same events and their tables can be compared row for row.
Dropping the shadow (`discard_shadow`) leaves the live read model untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_ops.shadow_indexes import copy_indexes
from ishc_ops.targets import FAILED, OpsError, refuse_reaction
from ishc_runtime.leases import Lease
from ishc_runtime.privacy import Privacy
from ishc_runtime.projections import Projection, ProjectionRunner
from ishc_runtime.projections.ordered import OrderedRead, read_ordered
from ishc_runtime.projections.rebuild import first_sequence_at
from ishc_runtime.projections.status import REBUILD_SUFFIX
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.pool import Connection, create_pool
from ishc_runtime.waits import wait_any

Progress = Callable[[int, int], None]
log = structlog.get_logger(__name__)


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# Rounds of catching up with streams that keep growing before the locked last step.
FILL_ROUNDS = 3
# Events per transaction of the ordered read, at least (no acks bound it: only memory).
ORDERED_BATCH = 1000


class _Bounds:
    """How far a bounded runner may apply per source; None: no limit."""

    def __init__(self) -> None:
        self.limits: dict[str, int] | None = None
        self.raised = asyncio.Event()

    def set(self, limits: dict[str, int]) -> None:
        self.limits = dict(limits)
        self.raised.set()


class _BoundedRunner(ProjectionRunner):
    """A runner that never applies an event past its bound: the messages beyond wait, unacked,
    until the bound moves (or the runner stops; the next start refetches from the checkpoint)."""

    def __init__(self, *args: Any, bounds: _Bounds, stopping: asyncio.Event, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._bounds = bounds
        self._stopping = stopping

    async def handle_batch(self, source: str, msgs: Sequence[Msg], lease: Lease) -> bool:
        rest = list(msgs)
        while rest and not self._stopping.is_set():
            limits = self._bounds.limits
            limit = None if limits is None else limits.get(source, 0)
            count = len(rest) if limit is None else _within(rest, limit)
            within = rest[:count]
            if within:
                if not await super().handle_batch(source, within, lease):
                    return False
                rest = rest[len(within) :]
            if rest:
                self._bounds.raised.clear()
                await wait_any(self._bounds.raised, self._stopping, seconds=self.poll_interval)
        return True


def _within(msgs: Sequence[Msg], limit: int) -> int:
    """How many of `msgs` (in stream order) lie at or below stream sequence `limit`."""
    return sum(1 for _ in itertools.takewhile(lambda m: m.metadata.sequence.stream <= limit, msgs))


@dataclass(frozen=True)
class TableComparison:
    table: str
    live_rows: int
    folded_rows: int
    live_checksum: str
    folded_checksum: str

    @property
    def same(self) -> bool:
        return (self.live_rows, self.live_checksum) == (self.folded_rows, self.folded_checksum)

    def row(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "same": self.same}


@dataclass
class Shadow:
    pool: asyncpg.Pool
    nc: NatsClient
    dsn: str
    definition: ServiceDefinition
    projection: Projection
    batch_size: int = 500
    poll_interval: float = 0.2
    # Start the new version at the first event recorded at/after this instant (None: the
    # first event): see `ishc projections rebuild --help` for when that is safe.
    start_at: datetime | None = None
    # Never apply past the live checkpoints (verify); unbounded, the shadow folds to the
    # streams' ends even when the live projection is stopped (rebuild).
    bounded: bool = False
    # How the runner opens sealed events (`ishc_ops.opening`): the service's keys, or none.
    privacy: Privacy | None = None
    _shadow_pool: asyncpg.Pool | None = None
    _runner_task: asyncio.Task[None] | None = None
    # Read the bulk of a fill with an ordered consumer (False: the durable runner alone).
    ordered: bool = True
    ordered_reads: list[OrderedRead] = dataclasses.field(default_factory=list)
    ordered_error: str | None = None
    # What the fill is doing, for the progress bar.
    phase: str = "preparing"
    deferred_index_sql: list[str] = dataclasses.field(default_factory=list)
    _runner_stopping: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    _runner: _BoundedRunner | None = None
    _bounds: _Bounds = dataclasses.field(default_factory=_Bounds)
    live_schemas: dict[str, str] = dataclasses.field(default_factory=dict)
    first_sequences: dict[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bounded:
            self._bounds.set({})  # nothing applied until the live checkpoints are known

    @property
    def name(self) -> str:
        return self.projection.name + REBUILD_SUFFIX

    @property
    def schema(self) -> str:
        return f"rebuild_{self.projection.name}"[:63]

    # -- 1. shadow tables -------------------------------------------------------------------

    async def prepare(self) -> None:
        refuse_reaction(self.definition, self.pool, self.projection.name)
        if not self.projection.tables:
            msg = f"{self.projection.name} declares no tables: nothing to fold beside it"
            raise OpsError(msg, FAILED)
        await self.discard_shadow()
        async with self.pool.acquire() as conn, conn.transaction():
            for table in self.projection.tables:
                schema = await conn.fetchval(
                    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n"
                    " ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)",
                    table,
                )
                if schema is None:
                    raise OpsError(f"live table {table!r} does not exist", FAILED)
                self.live_schemas[table] = schema
            await conn.execute(f"CREATE SCHEMA {ident(self.schema)}")
            # Deferred indexes only where an ordered read will load the bulk.
            deferred = self.projection.deferred_indexes if self.ordered else ()
            for table, schema in self.live_schemas.items():
                await conn.execute(
                    f"CREATE TABLE {ident(self.schema)}.{ident(table)}"
                    f" (LIKE {ident(schema)}.{ident(table)} INCLUDING ALL EXCLUDING INDEXES)"
                )
                self.deferred_index_sql += await copy_indexes(
                    conn, table, schema, self.schema, deferred
                )
            self.first_sequences = await self.start_positions()
            for source, seq in self.first_sequences.items():
                # The runner starts right after its checkpoint.
                await conn.execute(
                    "INSERT INTO projection_checkpoints (projection, source, stream_seq)"
                    " VALUES ($1, $2, $3)",
                    self.name,
                    source,
                    seq - 1,
                )

    async def build_deferred_indexes(self) -> None:
        """The indexes left for after the bulk load (`shadow_indexes`); a no-op once built."""
        while self.deferred_index_sql:
            await self.pool.execute(self.deferred_index_sql[0])
            self.deferred_index_sql.pop(0)

    async def start_positions(self) -> dict[str, int]:
        """Per source, the first stream sequence the new version applies."""
        if self.start_at is None:
            return dict.fromkeys(self.projection.sources, 1)
        js = self.nc.jetstream()
        return {
            source: await first_sequence_at(js, source, self.start_at)
            for source in self.projection.sources
        }

    # -- 2. fill ----------------------------------------------------------------------------

    async def _shadow_runner(self) -> _BoundedRunner:
        """The runner of the shadow (on connections that write its schema), made once."""
        if self._runner is not None:
            return self._runner
        if self._shadow_pool is None:
            self._shadow_pool = await create_pool(
                self.dsn,
                min_size=1,
                max_size=4,
                search_path=f"{ident(self.schema)}, public",
                application_name="ishc-rebuild",
                command_timeout=60,
            )
        shadow = dataclasses.replace(self.projection, name=self.name)
        self._runner = _BoundedRunner(
            self._shadow_pool,
            self.nc,
            shadow,
            self.definition.registry,
            batch_size=self.batch_size,
            poll_interval=self.poll_interval,
            bounds=self._bounds,
            stopping=self._runner_stopping,
            privacy=self.privacy,
        )
        return self._runner

    async def start_runner(self) -> None:
        """Fill (again) from the shadow's checkpoints with the durable consumer; a no-op
        while it runs."""
        if self._runner_task is not None:
            return
        runner = await self._shadow_runner()
        self._runner_stopping.clear()
        self._runner_task = asyncio.create_task(runner.run(self._runner_stopping))

    async def read_ordered(self, progress: Progress | None = None) -> list[OrderedRead]:
        """The bulk of the fill, read with an ordered consumer (`ishc_runtime.projections.
        ordered`) up to where the streams end now (bounded: the live checkpoints), each batch
        committed with its checkpoint under the shadow's lease. What it leaves (events since,
        or a read cut short) is the durable runner's, from the checkpoints."""
        runner = await self._shadow_runner()
        wanted = await (self.live_checkpoints() if self.bounded else self.last_seqs())
        reading = asyncio.create_task(
            read_ordered(runner, wanted, batch_size=max(self.batch_size, ORDERED_BATCH))
        )
        try:
            while not reading.done():
                if progress is not None:
                    done = await self.checkpoints(self.pool, self.name)
                    progress(min(sum(done.values()), sum(wanted.values())), sum(wanted.values()))
                await asyncio.wait({reading}, timeout=max(self.poll_interval, 0.5))
        finally:
            if not reading.done():
                reading.cancel()
                await asyncio.wait({reading})
        try:
            reads = reading.result()
        except Exception as error:
            # The bus refused the ordered consumer (a permission, a limit on consumers):
            # nothing it did not commit is lost, and the durable runner does the rest.
            log.warning("rebuild.ordered_read_failed", projection=self.name, error=repr(error))
            self.ordered_error = repr(error)
            reads = []
        self.ordered_reads = reads
        return reads

    async def stop_runner(self) -> None:
        """Pause filling (the shadow keeps its checkpoints; `start_runner` goes on from them)."""
        self._runner_stopping.set()
        if self._runner_task is not None:
            await asyncio.wait_for(self._runner_task, timeout=30)
        self._runner_task = None

    async def last_seqs(self) -> dict[str, int]:
        last = {}
        for source in self.projection.sources:
            try:
                info = await self.nc.jetstream().stream_info(subjects.stream_name(source))
                last[source] = int(info.state.last_seq)
            except NotFoundError:
                last[source] = 0
        return last

    async def live_checkpoints(self) -> dict[str, int]:
        return await self.checkpoints(self.pool, self.projection.name)

    async def checkpoints(self, conn: Any, name: str, lock: bool = False) -> dict[str, int]:
        rows = await conn.fetch(
            "SELECT source, stream_seq FROM projection_checkpoints WHERE projection = $1"
            + (" FOR UPDATE" if lock else ""),
            name,
        )
        found = {r["source"]: int(r["stream_seq"]) for r in rows}
        return {s: found.get(s, 0) for s in self.projection.sources}

    def _check_runner(self) -> None:
        runner, task = self._runner, self._runner_task
        if runner is not None and runner.stopped:
            reason = "; ".join(runner.stopped.values())
            raise OpsError(f"the shadow stopped on a poison event: {reason}", FAILED)
        if task is not None and task.done() and task.exception() is not None:
            msg = f"the shadow's runner failed: {task.exception()!r}"
            raise OpsError(msg, FAILED)

    async def _until(
        self,
        target: Callable[[], Awaitable[dict[str, int]]],
        progress: Progress | None,
        *,
        exactly: bool = False,
    ) -> None:
        while True:
            self._check_runner()
            wanted = await target()
            if self.bounded:
                self._bounds.set(wanted)
            done = await self.checkpoints(self.pool, self.name)
            total = sum(wanted.values())
            if progress is not None:
                progress(min(sum(done.values()), total), total)
            if all(done[s] == wanted[s] if exactly else done[s] >= wanted[s] for s in wanted):
                return
            await asyncio.sleep(self.poll_interval)

    async def fill(self, progress: Progress | None = None) -> None:
        """Fold until the shadow reaches the streams' ends (bounded: the live checkpoints).

        Each round aims at where they stood when it began, so events that keep arriving are
        never chased for ever (a shadow fetching a trickle goes about as fast as it comes);
        a few rounds leave a small gap, which `at_live` closes under the live lock."""
        if self.ordered:
            self.phase = "ordered read"
            await self.read_ordered(progress)
            self.phase = "building indexes"
            await self.build_deferred_indexes()
        self.phase = "catching up"
        await self.start_runner()
        target = self.live_checkpoints if self.bounded else self.last_seqs
        for _ in range(FILL_ROUNDS):
            wanted = await target()

            async def fixed(wanted: dict[str, int] = wanted) -> dict[str, int]:
                return wanted

            await self._until(fixed, progress)
            if await target() == wanted:
                return

    # -- 3. a consistent point --------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def at_live(self, *, commit: bool) -> AsyncIterator[tuple[Connection, dict[str, int]]]:
        """A transaction in which the live projection stands still at its checkpoints (the
        second item) and the shadow has caught up with them: exactly, if `bounded`.

        The live runner locks its checkpoint row before it writes, so it waits here; a
        checkpoint row it has not written yet is inserted (at 0) to be held all the same.
        `commit=False` rolls everything back (a comparison); True keeps what the caller did
        (a switch). The shadow's runner is paused on the way out."""
        async with self.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute(
                    "INSERT INTO projection_checkpoints (projection, source, stream_seq)"
                    " SELECT $1, unnest($2::text[]), 0 ON CONFLICT DO NOTHING",
                    self.projection.name,
                    list(self.projection.sources),
                )
                live = await self.checkpoints(conn, self.projection.name, lock=True)
                shadow = await self.checkpoints(conn, self.name)
                behind = any(shadow[s] < live[s] for s in live)
                if behind or (self.bounded and shadow != live):
                    await self.start_runner()

                    async def frozen() -> dict[str, int]:
                        return live

                    await self._until(frozen, None, exactly=self.bounded)
                await self.stop_runner()
                yield conn, live
            except BaseException:
                await transaction.rollback()
                raise
            if commit:
                await transaction.commit()
            else:
                await transaction.rollback()

    async def compare(self, conn: Connection | None = None) -> list[TableComparison]:
        """Rows and checksums of each live table and its shadow (at a consistent point when
        `conn` is the transaction of `at_live`)."""
        rows = []
        for table, schema in self.live_schemas.items():
            live = await self._digest(conn, schema, table)
            new = await self._digest(conn, self.schema, table)
            rows.append(TableComparison(table, live[0], new[0], live[1], new[1]))
        return rows

    async def _digest(self, conn: Connection | None, schema: str, table: str) -> tuple[int, str]:
        row = await (conn or self.pool).fetchrow(
            "SELECT count(*) AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS sum"
            f" FROM (SELECT md5(t::text) AS h FROM {ident(schema)}.{ident(table)} t) x"
        )
        assert row is not None
        return int(row["n"]), str(row["sum"])

    # -- cancellation and clean-up ------------------------------------------------------------

    async def delete_consumers(self) -> None:
        js = self.nc.jetstream()
        for source in self.projection.sources:
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(subjects.stream_name(source), f"{self.name}__{source}")

    async def discard_shadow(self) -> None:
        """Drop everything the shadow made; the live projection is untouched."""
        await self.stop_runner()
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {ident(self.schema)} CASCADE")
            await conn.execute(
                "DELETE FROM projection_checkpoints WHERE projection = $1", self.name
            )
            await conn.execute("DELETE FROM parked_messages WHERE projection = $1", self.name)
        await self.delete_consumers()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop_runner()
        if self._shadow_pool is not None:
            await self._shadow_pool.close()
            self._shadow_pool = None
