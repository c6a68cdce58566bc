"""How a service's projections stand, read from its database and JetStream.

One implementation for every reader: the built-in `ProjectionStatus` / `ParkedEvents` queries
of each service (`ishc_runtime.service.operations`) and the `ishc` CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_contracts.operations import (
    LagSample,
    ParkedEvent,
    ProjectionKind,
    ProjectionSourceStatus,
    ProjectionState,
    TimerKindStatus,
    TimerStatus,
)
from ishc_runtime.projections.projection import Projection

# A blue-green rebuild runs its new version under this suffix (checkpoints, consumers).
REBUILD_SUFFIX = "__rebuild"

Operated = Sequence[tuple[Projection, ProjectionKind]]


@dataclass(frozen=True)
class StreamView:
    """What status needs of a source's stream: its last sequence, and the sequences deleted
    from inside it (messages no projection could have taken)."""

    last_seq: int
    deleted: tuple[int, ...] = ()

    def present(self, first: int, last: int) -> int:
        """How many messages the stream holds from `first` to `last`."""
        return last - first + 1 - sum(1 for seq in self.deleted if first <= seq <= last)


async def stream_views(
    nc: NatsClient | None, sources: Iterable[str]
) -> dict[str, StreamView | None]:
    """Each source service's stream; None if it is missing (or no NATS)."""
    views: dict[str, StreamView | None] = {}
    for source in sorted(set(sources)):
        if nc is None:
            views[source] = None
            continue
        stream = subjects.stream_name(source)
        try:
            info = await nc.jetstream().stream_info(stream)
        except NotFoundError:
            views[source] = None
            continue
        deleted: tuple[int, ...] = ()
        if info.state.num_deleted:
            # nats-py does not ask for the list; the server gives it on request.
            reply = await nc.request(
                f"$JS.API.STREAM.INFO.{stream}", b'{"deleted_details":true}', timeout=5
            )
            deleted = tuple(json.loads(reply.data).get("state", {}).get("deleted") or ())
        views[source] = StreamView(int(info.state.last_seq), deleted)
    return views


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
    streams = await stream_views(nc, (s for p, _ in chosen for s in p.sources))
    checkpoints = {
        (r["projection"], r["source"]): r
        for r in await pool.fetch(
            "SELECT projection, source, stream_seq, first_seq, taken, updated_at"
            " FROM projection_checkpoints"
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
            stream = streams[source]
            stream_last = None if stream is None else stream.last_seq
            lag = None if stream_last is None else max(0, stream_last - checkpoint)
            unaccounted = None
            if stream is not None and cp is not None and cp["first_seq"] is not None:
                # Never below 0: a message deleted after it was taken is not counted as present.
                present = stream.present(cp["first_seq"], checkpoint)
                unaccounted = max(0, present - cp["taken"])
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
                    unaccounted=unaccounted,
                )
            )
    return rows


# Never the payload, headers or detail: they may hold personal data.
_PARKED = """
SELECT id, projection, source, stream_seq, event_type, event_id::text AS event_id, reason,
       disposition, attempts, parked_at, resolved_at, resolution, resolved_by,
       resolution_note AS note
FROM parked_messages
WHERE ($1::text IS NULL OR projection = $1) AND ($2 OR resolved_at IS NULL)
  AND ($4::bigint IS NULL OR id = $4)
ORDER BY projection, source, stream_seq
LIMIT $3
"""


async def parked_events(
    pool: asyncpg.Pool,
    projection: str | None = None,
    *,
    include_resolved: bool = False,
    limit: int | None = None,
    parked_id: int | None = None,
) -> list[ParkedEvent]:
    """Dead letters in stream order per projection and source (or the one `parked_id`),
    without payloads."""
    rows = await pool.fetch(_PARKED, projection, include_resolved, limit, parked_id)
    return [_parked(dict(r)) for r in rows]


def _parked(row: dict[str, Any]) -> ParkedEvent:
    return ParkedEvent(stream=subjects.stream_name(row["source"]), **row)


_TIMERS = """
WITH t AS (
    SELECT split_part(key, ':', 1) AS kind,
           fired_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL AS pending,
           failed_at IS NOT NULL AND fired_at IS NULL AND cancelled_at IS NULL AS failed,
           coalesce(greatest(retry_at, due_at), due_at) AS next_at
    FROM timers
)
SELECT kind,
       count(*) FILTER (WHERE pending) AS pending,
       count(*) FILTER (WHERE pending AND next_at <= $1) AS due,
       count(*) FILTER (WHERE failed) AS failed,
       min(next_at) FILTER (WHERE pending AND next_at <= $1) AS oldest_due_at,
       min(next_at) FILTER (WHERE pending AND next_at > $1) AS next_due_at
FROM t GROUP BY kind HAVING count(*) FILTER (WHERE pending OR failed) > 0 ORDER BY kind
"""


async def timer_status(pool: asyncpg.Pool, now: datetime) -> TimerStatus:
    """Pending and due timers by kind: what the scheduler still owes at `now` is lag too,
    with the due times (a retry counts from its backoff instant)."""
    kinds = [TimerKindStatus(**dict(r)) for r in await pool.fetch(_TIMERS, now)]
    due = sum(k.due for k in kinds)
    oldest = [k.oldest_due_at for k in kinds if k.oldest_due_at is not None]
    upcoming = [k.next_due_at for k in kinds if k.next_due_at is not None]
    return TimerStatus(
        state="behind" if due else "caught up",
        pending=sum(k.pending for k in kinds),
        due=due,
        failed=sum(k.failed for k in kinds),
        oldest_due_at=min(oldest, default=None),
        next_due_at=min(upcoming, default=None),
        kinds=kinds,
    )


# One row per projection, source and minute: every instance's watch round may write it, the
# largest lag seen stands. Older than a day is dropped by the same rounds.
_RECORD_LAG = """
INSERT INTO projection_lag_samples (projection, source, sampled_at, lag)
SELECT p, s, date_trunc('minute', clock_timestamp()), l
FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(p, s, l)
ON CONFLICT (projection, source, sampled_at)
DO UPDATE SET lag = greatest(projection_lag_samples.lag, excluded.lag)
"""
_PRUNE_LAG = (
    "DELETE FROM projection_lag_samples WHERE sampled_at < clock_timestamp() - interval '1 day'"
)
_LAG_HISTORY = """
SELECT projection, source, sampled_at AS at, lag FROM projection_lag_samples
WHERE sampled_at >= date_trunc('minute', clock_timestamp()) - make_interval(mins => $2)
  AND ($1::text IS NULL OR projection = $1)
ORDER BY projection, source, sampled_at
"""


async def record_lag(pool: asyncpg.Pool, statuses: Sequence[ProjectionSourceStatus]) -> None:
    """This minute's lag of each projection and source (those with a stream)."""
    known = [s for s in statuses if s.lag is not None]
    if not known:
        return
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            _RECORD_LAG,
            [s.projection for s in known],
            [s.source for s in known],
            [s.lag for s in known],
        )
        await conn.execute(_PRUNE_LAG)


async def lag_history(pool: asyncpg.Pool, projection: str | None, minutes: int) -> list[LagSample]:
    rows = await pool.fetch(_LAG_HISTORY, projection, minutes)
    return [LagSample(**dict(row)) for row in rows]
