"""How a service's projections stand, read from its database and JetStream.

One implementation for every reader: the built-in `ProjectionStatus` / `ParkedEvents` queries
of each service (`ishc_runtime.service.operations`) and the `ishc` CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_contracts.operations import (
    ParkedEvent,
    ProjectionKind,
    ProjectionSourceStatus,
    ProjectionState,
)
from ishc_runtime.projections.projection import Projection

# A blue-green rebuild runs its new version under this suffix (checkpoints, consumers).
REBUILD_SUFFIX = "__rebuild"

Operated = Sequence[tuple[Projection, ProjectionKind]]


async def stream_last_seqs(nc: NatsClient | None, sources: Iterable[str]) -> dict[str, int | None]:
    """Last sequence of each source service's stream; None if it is missing (or no NATS)."""
    last: dict[str, int | None] = {}
    for source in sorted(set(sources)):
        if nc is None:
            last[source] = None
            continue
        try:
            info = await nc.jetstream().stream_info(subjects.stream_name(source))
            last[source] = int(info.state.last_seq)
        except NotFoundError:
            last[source] = None
    return last


def _state(blocking: int, rebuilding: bool, lag: int | None) -> ProjectionState:
    if blocking:
        return "stopped"
    if rebuilding:
        return "rebuilding"
    if lag is None:
        return "no stream"
    return "caught up" if lag == 0 else "behind"


async def projection_status(
    pool: asyncpg.Pool,
    nc: NatsClient | None,
    operated: Operated,
    projection: str | None = None,
) -> list[ProjectionSourceStatus]:
    """One row per (projection, source), in declaration order."""
    chosen = [(p, kind) for p, kind in operated if projection is None or p.name == projection]
    last = await stream_last_seqs(nc, (s for p, _ in chosen for s in p.sources))
    checkpoints = {
        (r["projection"], r["source"]): r
        for r in await pool.fetch(
            "SELECT projection, source, stream_seq, updated_at FROM projection_checkpoints"
        )
    }
    open_letters = {
        (r["projection"], r["source"], r["disposition"]): int(r["n"])
        for r in await pool.fetch(
            "SELECT projection, source, disposition, count(*) AS n FROM parked_messages"
            " WHERE resolved_at IS NULL GROUP BY projection, source, disposition"
        )
    }
    rows = []
    for found, kind in chosen:
        for source in found.sources:
            cp = checkpoints.get((found.name, source))
            checkpoint = int(cp["stream_seq"]) if cp else 0
            stream_last = last[source]
            lag = None if stream_last is None else max(0, stream_last - checkpoint)
            blocking = open_letters.get((found.name, source, "blocking"), 0)
            rebuilding = (found.name + REBUILD_SUFFIX, source) in checkpoints
            rows.append(
                ProjectionSourceStatus(
                    projection=found.name,
                    kind=kind,
                    source=source,
                    stream=subjects.stream_name(source),
                    policy=found.policy,
                    checkpoint=checkpoint,
                    stream_last_seq=stream_last,
                    lag=lag,
                    parked=open_letters.get((found.name, source, "parked"), 0),
                    blocking=blocking,
                    state=_state(blocking, rebuilding, lag),
                    updated_at=cp["updated_at"] if cp else None,
                )
            )
    return rows


# Never the payload, headers or detail: they may hold personal data.
_PARKED = """
SELECT id, projection, source, stream_seq, event_type, event_id::text AS event_id, reason,
       disposition, attempts, parked_at, resolved_at, resolution
FROM parked_messages
WHERE ($1::text IS NULL OR projection = $1) AND ($2 OR resolved_at IS NULL)
ORDER BY projection, source, stream_seq
LIMIT $3
"""


async def parked_events(
    pool: asyncpg.Pool,
    projection: str | None = None,
    *,
    include_resolved: bool = False,
    limit: int | None = None,
) -> list[ParkedEvent]:
    """Dead letters in stream order per projection and source, without payloads."""
    rows = await pool.fetch(_PARKED, projection, include_resolved, limit)
    return [_parked(dict(r)) for r in rows]


def _parked(row: dict[str, Any]) -> ParkedEvent:
    return ParkedEvent(stream=subjects.stream_name(row["source"]), **row)
