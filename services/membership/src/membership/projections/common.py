"""What every membership projection shares: remembering the stream version it applied, so
a query can wait for a client's own write (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from ishc_contracts import Event, EventEnvelope
from ishc_runtime.projections import Projection
from ishc_runtime.projections.projection import Handler
from ishc_runtime.store.pool import Connection

E = TypeVar("E", bound=Event)


def tracked(
    projection: Projection, streams_table: str
) -> Callable[[type[E]], Callable[[Handler], Handler]]:
    """`@on(Event)` like `projection.on`, and the stream's version is recorded in the same
    transaction as the rows it produced."""

    def on(event_type: type[E]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            async def with_version(conn: Connection, env: EventEnvelope, event: Any) -> None:
                await handler(conn, env, event)
                await conn.execute(
                    f"INSERT INTO {streams_table} (stream_id, version) VALUES ($1, $2)"
                    " ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version",
                    env.stream_id,
                    env.version,
                )

            projection.on(event_type)(with_version)
            return handler

        return register

    return on


def person_of(env: EventEnvelope) -> UUID:
    """A person's stream is `member-<person_id>`."""
    return UUID(env.stream_id.removeprefix("member-"))
