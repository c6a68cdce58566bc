"""The Postgres event store: append with expected versions, read streams, snapshots."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic_core import to_json

from ishc_contracts import Event, EventEnvelope, EventMetadata, new_id
from ishc_runtime.idempotency import IdempotencyKeyReused, KeyScope
from ishc_runtime.observability import metrics, tracing
from ishc_runtime.privacy.seal import Privacy
from ishc_runtime.store.pool import Connection


class ConcurrencyError(Exception):
    """Someone else appended to the stream since it was loaded. Reload and decide again."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        seen = "a newer version" if actual is None else f"version {actual}"
        super().__init__(f"stream {stream_id} is at {seen}, expected {expected}")


@dataclass(frozen=True)
class StreamWrite:
    """Events to add to one stream, which must be at `expected_version` (0: new stream)."""

    stream_id: str
    stream_type: str
    expected_version: int
    events: Sequence[Event]
    event_ids: Sequence[UUID] = field(default_factory=tuple)

    def ids(self) -> list[UUID]:
        return list(self.event_ids) or [new_id() for _ in self.events]


@dataclass(frozen=True)
class Snapshot:
    stream_id: str
    version: int
    state_version: int
    state: dict[str, Any]


@dataclass(frozen=True)
class RawEvent:
    type: str
    schema_version: int
    version: int
    data: dict[str, Any]


# One row even for an empty stream (the LEFT JOINs); the snapshot's state only on that row.
_LOAD_CURRENT = """
SELECT s.version AS snapshot_version,
       CASE WHEN e.n IS NULL OR e.n = 1 THEN s.state END AS snapshot_state,
       e.type, e.schema_version, e.version, e.data
FROM (SELECT $1::text AS stream_id) k
LEFT JOIN snapshots s ON s.stream_id = k.stream_id AND s.state_version = $2
LEFT JOIN LATERAL (
    SELECT type, schema_version, version, data, row_number() OVER (ORDER BY version) AS n
    FROM events WHERE stream_id = k.stream_id AND version > coalesce(s.version, 0)
    ORDER BY version
) e ON true
ORDER BY e.version
"""

_COLUMNS = (
    "event_id, type, schema_version, stream_id, stream_type, version, seq, recorded_at, "
    "metadata, data"
)


def row_to_envelope(row: asyncpg.Record) -> EventEnvelope:
    return EventEnvelope(
        event_id=row["event_id"],
        type=row["type"],
        schema_version=row["schema_version"],
        stream_id=row["stream_id"],
        stream_type=row["stream_type"],
        version=row["version"],
        seq=row["seq"],
        recorded_at=row["recorded_at"],
        metadata=EventMetadata.model_validate(row["metadata"]),
        data=row["data"],
    )


class EventStore:
    """One service's store. Appends take no lock (the sequencer orders them after commit)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        notify: bool = True,
        wake_interval: float = 0.005,
        privacy: Privacy | None = None,
    ) -> None:
        self.pool = pool
        # With privacy, sensitive fields are sealed before they reach the table (and thereby
        # the relay and JetStream); readers open them (`Repository`, projection runner).
        self.privacy = privacy
        self.notify = notify
        self.wake_interval = wake_interval
        self._last_wake = 0.0

    async def append(
        self,
        writes: Sequence[StreamWrite],
        metadata: EventMetadata,
        *,
        command_id: UUID | None = None,
        result: dict[str, Any] | None = None,
        scope: KeyScope | None = None,
        connection: Connection | None = None,
    ) -> dict[str, Any] | None:
        """Append atomically to every stream in `writes`.

        Returns None when appended; when `command_id` was handled before, returns that first
        result and appends nothing. With a `scope`, a `command_id` first used by another scope
        raises IdempotencyKeyReused instead. Raises ConcurrencyError on a version conflict.
        Pass `connection` to append inside a transaction of the caller's (a timer marked fired
        with the events it caused).
        """
        if self.privacy is not None:
            await self.privacy.prepare(((w.stream_id, w.events) for w in writes), connection)
        args = _append_arguments(writes, metadata, self.privacy)
        # NOTIFY inside a writer's transaction takes a global lock until its commit is on disk,
        # which serialises every writer's commit (no group commit). So an append of its own
        # notifies after committing, in a separate statement; one in the caller's transaction
        # keeps the transactional notify, which fires only if that transaction commits.
        in_transaction = connection is not None and connection.is_in_transaction()
        with tracing.span("eventstore.append", streams=len(writes), events=len(args[2])):
            try:
                previous: dict[str, Any] | None = await (connection or self.pool).fetchval(
                    "SELECT ishc_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                    " $14, $15, $16)",
                    *args,
                    command_id,
                    # JSON text passes the pool's codec untouched; pydantic's encoder is the
                    # fast one.
                    to_json(result).decode() if result is not None else "{}",
                    self.notify and in_transaction,
                    scope.principal if scope else None,
                    scope.command_type if scope else None,
                    scope.body_hash if scope else None,
                )
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name != "events_stream_version_key":
                    raise
                metrics.APPEND_CONFLICTS.inc()
                stream = _conflicting_stream(error, writes)
                raise ConcurrencyError(stream.stream_id, stream.expected_version, None) from error
            except asyncpg.PostgresError as error:
                if error.sqlstate == "ES422":
                    raise IdempotencyKeyReused from error
                if error.sqlstate != "ES409":
                    raise
                metrics.APPEND_CONFLICTS.inc()
                stream_id = str(error.detail)
                expected = next(w.expected_version for w in writes if w.stream_id == stream_id)
                raise ConcurrencyError(stream_id, expected, int(str(error.hint))) from error
        if previous is None:
            metrics.EVENTS_APPENDED.inc(len(args[2]))
            if self.notify and not in_transaction:
                await self._wake_relay(connection)
        return previous

    async def _wake_relay(self, connection: Connection | None) -> None:
        """At most one wake-up per `wake_interval`: the relay lingers after waking and takes
        every commit of that moment in one round."""
        now = time.monotonic()
        if now - self._last_wake < self.wake_interval:
            return
        self._last_wake = now
        await (connection or self.pool).execute("SELECT pg_notify('ishc_events', '')")

    async def read_stream(
        self,
        stream_id: str,
        *,
        after_version: int = 0,
        up_to_version: int | None = None,
        as_of: datetime | None = None,
    ) -> list[EventEnvelope]:
        """Events of one stream in version order; `up_to_version`/`as_of` travel back in time."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2"
            " AND ($3::integer IS NULL OR version <= $3)"
            " AND ($4::timestamptz IS NULL OR recorded_at <= $4) ORDER BY version",
            stream_id,
            after_version,
            up_to_version,
            as_of,
        )
        return [row_to_envelope(row) for row in rows]

    async def load_current(
        self, stream_id: str, state_version: int | None, connection: Connection | None = None
    ) -> tuple[Snapshot | None, list[RawEvent]]:
        """The usable snapshot (if any) and the events after it, in ONE round trip: the hot
        path of every command. Rows skip the envelope: a decision needs only the payloads."""
        rows = await (connection or self.pool).fetch(
            _LOAD_CURRENT, stream_id, state_version if state_version is not None else -1
        )
        snapshot = None
        first = rows[0]
        if first["snapshot_version"] is not None:
            snapshot = Snapshot(
                stream_id, first["snapshot_version"], state_version or 0, first["snapshot_state"]
            )
        events = [
            RawEvent(row["type"], row["schema_version"], row["version"], row["data"])
            for row in rows
            if row["version"] is not None
        ]
        return snapshot, events

    async def load_after(
        self, stream_id: str, after_version: int, connection: Connection | None = None
    ) -> list[RawEvent]:
        """The events after a version the caller already holds the state of."""
        rows = await (connection or self.pool).fetch(
            "SELECT type, schema_version, version, data FROM events"
            " WHERE stream_id = $1 AND version > $2 ORDER BY version",
            stream_id,
            after_version,
        )
        return [
            RawEvent(row["type"], row["schema_version"], row["version"], row["data"])
            for row in rows
        ]

    async def stream_version(self, stream_id: str) -> int:
        version: int = await self.pool.fetchval(
            "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return version

    async def command_result(
        self,
        command_id: UUID,
        connection: Connection | None = None,
        *,
        scope: KeyScope | None = None,
    ) -> dict[str, Any] | None:
        """The first result of `command_id`, if it was handled; with a `scope`, raises
        IdempotencyKeyReused when the key was first used for another request."""
        row = await (connection or self.pool).fetchrow(
            "SELECT result, principal, command_type, body_hash FROM commands WHERE command_id = $1",
            command_id,
        )
        if row is None:
            return None
        if scope is not None:
            scope.check(dict(row))
        result: dict[str, Any] = row["result"]
        return result

    async def read_snapshot(self, stream_id: str) -> Snapshot | None:
        row = await self.pool.fetchrow(
            "SELECT version, state_version, state FROM snapshots WHERE stream_id = $1", stream_id
        )
        if row is None:
            return None
        return Snapshot(stream_id, row["version"], row["state_version"], row["state"])

    async def write_snapshot(
        self, stream_type: str, snapshot: Snapshot, connection: Connection | None = None
    ) -> None:
        # A newer snapshot never gets replaced by an older one written late.
        await (connection or self.pool).execute(
            "INSERT INTO snapshots (stream_id, stream_type, version, state_version, state)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE"
            " SET version = excluded.version, state_version = excluded.state_version,"
            " state = excluded.state, taken_at = clock_timestamp()"
            " WHERE snapshots.version < excluded.version"
            " OR snapshots.state_version <> excluded.state_version",
            snapshot.stream_id,
            stream_type,
            snapshot.version,
            snapshot.state_version,
            snapshot.state,
        )


def _append_arguments(
    writes: Sequence[StreamWrite], metadata: EventMetadata, privacy: Privacy | None = None
) -> list[Any]:
    meta_json = metadata.model_dump_json()
    streams, expected = [], []
    ids: list[UUID] = []
    stream_ids, stream_types, versions, types, schema_versions, data, metas = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for write in writes:
        streams.append(write.stream_id)
        expected.append(write.expected_version)
        ids.extend(write.ids())
        for offset, event in enumerate(write.events, start=1):
            stream_ids.append(write.stream_id)
            stream_types.append(write.stream_type)
            versions.append(write.expected_version + offset)
            types.append(event.wire_name())
            schema_versions.append(event.schema_version)
            data.append(
                to_json(event).decode() if privacy is None else privacy.seal(write.stream_id, event)
            )
            metas.append(meta_json)
    return [
        streams,
        expected,
        ids,
        stream_ids,
        stream_types,
        versions,
        types,
        schema_versions,
        data,
        metas,
    ]


def _conflicting_stream(
    error: asyncpg.UniqueViolationError, writes: Sequence[StreamWrite]
) -> StreamWrite:
    detail = str(error.detail or "")
    return next((w for w in writes if w.stream_id in detail), writes[0])
