"""Blue-green rebuild of one projection: the live read model keeps serving meanwhile.

1. Shadow tables: `CREATE TABLE rebuild_<name>.<t> (LIKE <live t> INCLUDING ALL)`.
2. Fill: the runtime's own `ProjectionRunner` folds the sources from the first event (or the
   first recorded at/after `start_at`: `first_sequence_at`) under
   the name `<name>__rebuild` (its own checkpoints and consumers), on connections whose
   `search_path` starts with the shadow schema, so the projection's unchanged SQL writes the
   shadow tables (checkpoints and dead letters, absent there, stay in `public`).
3. Compare row counts and checksums with the live tables.
4. Switch, in ONE transaction: lock the live checkpoints (the live runner waits at its next
   batch; readers are not blocked), let the shadow catch up to exactly there, move the live
   tables to `retired_<name>` and the shadow ones into their place, and hand the shadow's
   checkpoints to the live name. Readers wait for the renames for a moment, never fail.
Cancelling before step 4 drops the shadow: the live read model is never touched.
Only `ServiceDefinition.projections` can be rebuilt; reactions (which send commands) never.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_ops.targets import FAILED, OpsError, refuse_reaction
from ishc_runtime.projections import Projection, ProjectionRunner
from ishc_runtime.projections.rebuild import first_sequence_at
from ishc_runtime.projections.status import REBUILD_SUFFIX
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.pool import create_pool

Progress = Callable[[int, int], None]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Rebuild:
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
    swapped: bool = False
    _shadow_pool: asyncpg.Pool | None = None
    _runner_task: asyncio.Task[None] | None = None
    _stopping: asyncio.Event | None = None
    _runner: ProjectionRunner | None = None
    live_schemas: dict[str, str] = dataclasses.field(default_factory=dict)
    first_sequences: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.projection.name + REBUILD_SUFFIX

    @property
    def schema(self) -> str:
        return f"rebuild_{self.projection.name}"[:63]

    @property
    def retired(self) -> str:
        return f"retired_{self.projection.name}"[:63]

    # -- 1. shadow tables -------------------------------------------------------------------

    async def prepare(self) -> None:
        refuse_reaction(self.definition, self.pool, self.projection.name)
        if not self.projection.tables:
            msg = f"{self.projection.name} declares no tables: nothing to rebuild beside it"
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
            await conn.execute(f"CREATE SCHEMA {_ident(self.schema)}")
            for table, schema in self.live_schemas.items():
                await conn.execute(
                    f"CREATE TABLE {_ident(self.schema)}.{_ident(table)}"
                    f" (LIKE {_ident(schema)}.{_ident(table)} INCLUDING ALL)"
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

    async def _start_runner(self) -> None:
        if self._shadow_pool is None:
            self._shadow_pool = await create_pool(
                self.dsn,
                min_size=1,
                max_size=4,
                search_path=f"{_ident(self.schema)}, public",
                application_name="ishc-rebuild",
                command_timeout=60,
            )
        shadow = dataclasses.replace(self.projection, name=self.name)
        self._runner = ProjectionRunner(
            self._shadow_pool,
            self.nc,
            shadow,
            self.definition.registry,
            batch_size=self.batch_size,
            poll_interval=self.poll_interval,
        )
        self._stopping = asyncio.Event()
        self._runner_task = asyncio.create_task(self._runner.run(self._stopping))

    async def stop_runner(self) -> None:
        """Pause filling (the shadow keeps its checkpoints; `switch` restarts it if needed)."""
        if self._stopping is not None:
            self._stopping.set()
        if self._runner_task is not None:
            await asyncio.wait_for(self._runner_task, timeout=30)
        self._runner_task = None

    async def _last_seqs(self) -> dict[str, int]:
        last = {}
        for source in self.projection.sources:
            try:
                info = await self.nc.jetstream().stream_info(subjects.stream_name(source))
                last[source] = int(info.state.last_seq)
            except NotFoundError:
                last[source] = 0
        return last

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
            raise OpsError(f"the rebuild stopped on a poison event: {reason}", FAILED)
        if task is not None and task.done() and task.exception() is not None:
            msg = f"the rebuild's runner failed: {task.exception()!r}"
            raise OpsError(msg, FAILED)

    async def _until(
        self, target: Callable[[], Awaitable[dict[str, int]]], progress: Progress | None
    ) -> None:
        while True:
            self._check_runner()
            wanted = await target()
            done = await self.checkpoints(self.pool, self.name)
            total = sum(wanted.values())
            if progress is not None:
                progress(min(sum(done.values()), total), total)
            if all(done[s] >= wanted[s] for s in wanted):
                return
            await asyncio.sleep(self.poll_interval)

    async def fill(self, progress: Progress | None = None) -> None:
        """Fold the sources from the start until the shadow reaches the streams' ends."""
        await self._start_runner()
        await self._until(self._last_seqs, progress)

    # -- 3. compare -------------------------------------------------------------------------

    async def compare(self) -> list[dict[str, Any]]:
        rows = []
        for table, schema in self.live_schemas.items():
            live = await self._digest(schema, table)
            new = await self._digest(self.schema, table)
            rows.append(
                {
                    "table": table,
                    "live_rows": live[0],
                    "rebuilt_rows": new[0],
                    "live_checksum": live[1],
                    "rebuilt_checksum": new[1],
                    "same": live == new,
                }
            )
        return rows

    async def _digest(self, schema: str, table: str) -> tuple[int, str]:
        row = await self.pool.fetchrow(
            "SELECT count(*) AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS sum"
            f" FROM (SELECT md5(t::text) AS h FROM {_ident(schema)}.{_ident(table)} t) x"
        )
        assert row is not None
        return int(row["n"]), str(row["sum"])

    # -- 4. switch --------------------------------------------------------------------------

    async def switch(self, keep_old: bool = False) -> dict[str, int]:
        """Swap atomically; return the checkpoints the live projection continues from."""
        live_name = self.projection.name
        async with self.pool.acquire() as conn, conn.transaction():
            # Freezes the live runner at its next batch (it locks its checkpoint row first).
            live = await self.checkpoints(conn, live_name, lock=True)
            shadow = await self.checkpoints(conn, self.name)
            if any(shadow[s] < live[s] for s in live):
                if self._runner_task is None:
                    await self._start_runner()

                async def frozen() -> dict[str, int]:
                    return live

                await self._until(frozen, None)
            await self.stop_runner()
            shadow = await self.checkpoints(conn, self.name, lock=True)
            await conn.execute(f"DROP SCHEMA IF EXISTS {_ident(self.retired)} CASCADE")
            await conn.execute(f"CREATE SCHEMA {_ident(self.retired)}")
            retired, shadow_schema = _ident(self.retired), _ident(self.schema)
            for table, schema in self.live_schemas.items():
                live_table = f"{_ident(schema)}.{_ident(table)}"
                await conn.execute(f"ALTER TABLE {live_table} SET SCHEMA {retired}")
                await conn.execute(
                    f"ALTER TABLE {shadow_schema}.{_ident(table)} SET SCHEMA {_ident(schema)}"
                )
            for source, seq in shadow.items():
                await conn.execute(
                    "INSERT INTO projection_checkpoints (projection, source, stream_seq)"
                    " VALUES ($1, $2, $3) ON CONFLICT (projection, source) DO UPDATE"
                    " SET stream_seq = excluded.stream_seq, updated_at = clock_timestamp()",
                    live_name,
                    source,
                    seq,
                )
            await conn.execute(
                "DELETE FROM projection_checkpoints WHERE projection = $1", self.name
            )
            # Dead letters: the old version's open ones are settled by the rebuild; the new
            # version's become the live projection's.
            await conn.execute(
                "UPDATE parked_messages SET resolved_at = clock_timestamp(),"
                " resolution = 'rebuilt' WHERE projection = $1 AND resolved_at IS NULL",
                live_name,
            )
            await conn.execute(
                "DELETE FROM parked_messages o USING parked_messages n WHERE o.projection = $1"
                " AND n.projection = $2 AND o.source = n.source AND o.stream_seq = n.stream_seq",
                live_name,
                self.name,
            )
            await conn.execute(
                "UPDATE parked_messages SET projection = $1 WHERE projection = $2",
                live_name,
                self.name,
            )
            await conn.execute(f"DROP SCHEMA {_ident(self.schema)}")
        self.swapped = True
        if not keep_old:
            await self.pool.execute(f"DROP SCHEMA IF EXISTS {_ident(self.retired)} CASCADE")
        await self._delete_consumers()
        return shadow

    # -- cancellation and clean-up ------------------------------------------------------------

    async def _delete_consumers(self) -> None:
        js = self.nc.jetstream()
        for source in self.projection.sources:
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(subjects.stream_name(source), f"{self.name}__{source}")

    async def discard_shadow(self) -> None:
        """Drop everything the rebuild made; the live projection is untouched."""
        await self.stop_runner()
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {_ident(self.schema)} CASCADE")
            await conn.execute(
                "DELETE FROM projection_checkpoints WHERE projection = $1", self.name
            )
            await conn.execute("DELETE FROM parked_messages WHERE projection = $1", self.name)
        await self._delete_consumers()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop_runner()
        if self._shadow_pool is not None:
            await self._shadow_pool.close()
            self._shadow_pool = None


class Rate:
    """Events per second over the last few samples, for the progress bar."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []

    def add(self, done: int) -> float:
        now = time.monotonic()
        self.samples.append((now, done))
        self.samples = [s for s in self.samples if now - s[0] <= 5.0]
        first_time, first_done = self.samples[0]
        return (done - first_done) / (now - first_time) if now > first_time else 0.0
