"""What every membership projection shares: remembering the stream version it applied, so
a query can wait for a client's own write (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar
from uuid import UUID

from ishc_contracts import Event, EventEnvelope
from ishc_runtime.projections import Projection, Write
from ishc_runtime.projections.projection import WritesEvent

E = TypeVar("E", bound=Event)


class On(Protocol):
    """`@on(Event, opens=...)`: registers a writer (see `Projection.writes`)."""

    def __call__(
        self, event_type: type[E], *, opens: Iterable[str] | None = None
    ) -> Callable[[WritesEvent[E]], WritesEvent[E]]: ...


def tracked(projection: Projection, streams_table: str) -> On:
    """`@on(Event)` like `projection.writes`, and the stream's version is recorded with the
    rows it produced (same batch, same transaction)."""

    def on(
        event_type: type[E], *, opens: Iterable[str] | None = None
    ) -> Callable[[WritesEvent[E]], WritesEvent[E]]:
        def register(writer: WritesEvent[E]) -> WritesEvent[E]:
            def with_version(env: EventEnvelope, event: Any) -> list[Write]:
                return stamped(streams_table, env, writer(env, event))

            projection.writes(event_type, opens=opens)(with_version)
            return writer

        return register

    return on


def stamped(streams_table: str, env: EventEnvelope, writes: Sequence[Write]) -> list[Write]:
    """`writes`, the last one also recording the stream's version: one statement (a
    data-modifying CTE) instead of two, so a run of the same event is a run of the same SQL,
    which the runner sends as one `executemany`."""
    stamp = Write(_upsert(streams_table, 1), (env.stream_id, env.version))
    # A statement with its own WITH cannot be nested (data-modifying CTEs must be top level).
    if not writes or writes[-1].sql.lstrip()[:4].upper() == "WITH":
        return [*writes, stamp]
    *before, last = writes
    sql = f"WITH applied AS ({last.sql}) {_upsert(streams_table, len(last.args) + 1)}"
    return [*before, Write(sql, (*last.args, env.stream_id, env.version))]


def _upsert(streams_table: str, first_param: int) -> str:
    return (
        f"INSERT INTO {streams_table} (stream_id, version)"
        f" VALUES (${first_param}, ${first_param + 1})"
        " ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version"
    )


def person_of(env: EventEnvelope) -> UUID:
    """A person's stream is `member-<person_id>`."""
    return UUID(env.stream_id.removeprefix("member-"))
