"""One aggregate's history from the store, decoded and masked, and its state back then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ishc_ops.masking import MASK, SEALED, Disclosure
from ishc_ops.targets import NOT_FOUND, OpsError, registered_aggregate
from ishc_runtime.aggregates import Aggregate, Repository
from ishc_runtime.privacy import Privacy, is_sealed
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.eventstore import EventStore


def find_aggregate(definition: ServiceDefinition, stream_type: str) -> Aggregate[Any] | None:
    """The `Aggregate` with this stream type: registered with `use_definition`, else one of
    the service's own (`ServiceDefinition.aggregates`)."""
    registered = registered_aggregate(definition.name, stream_type)
    if registered is not None:
        return registered
    return next((a for a in definition.aggregates if a.stream_type == stream_type), None)


async def history(
    pool: asyncpg.Pool,
    definition: ServiceDefinition,
    stream_id: str,
    *,
    as_of: datetime | None,
    up_to_version: int | None,
    disclosure: Disclosure,
    aggregate: Aggregate[Any] | None = None,
) -> dict[str, Any]:
    reveal = disclosure.reveal
    # With the service's keys the state is folded from opened events, as the service does;
    # without them from stand-ins, which the state below shows masked or as sealed.
    opener = disclosure.privacy if reveal else None
    store = EventStore(
        pool,
        notify=False,
        privacy=opener or Privacy.without_keys(pool, definition.name, definition.registry),
    )
    envelopes = await store.read_stream(stream_id, up_to_version=up_to_version, as_of=as_of)
    stream_type: str | None = await pool.fetchval(
        "SELECT stream_type FROM events WHERE stream_id = $1 LIMIT 1", stream_id
    )
    if stream_type is None:
        raise OpsError(f"no stream {stream_id!r} in {definition.name}'s store", NOT_FOUND)
    registry = definition.registry
    events = [
        {
            "version": e.version,
            "seq": e.seq,
            "type": e.type,
            "schema_version": e.schema_version,
            "recorded_at": e.recorded_at.isoformat(),
            "event_id": str(e.event_id),
            "actor": e.metadata.actor,
            "data": await disclosure.show(e.type, stream_id, e.data),
        }
        for e in envelopes
    ]
    result: dict[str, Any] = {
        "service": definition.name,
        "stream_id": stream_id,
        "as_of": as_of.isoformat() if as_of else None,
        "up_to_version": up_to_version,
        "revealed": reveal,
        "events": events,
        "state": None,
    }
    found = aggregate or find_aggregate(definition, stream_type)
    if found is not None:
        loaded = await Repository(store, registry).load(
            found,
            stream_id,
            up_to_version=up_to_version or (envelopes[-1].version if envelopes else 0),
            as_of=as_of,
        )
        state = loaded.state.model_dump(mode="json")
        if not reveal:
            hidden = set().union(*(registry.sensitive(e.type) for e in envelopes))
            state = {k: (MASK if k in hidden and v else v) for k, v in state.items()}
        elif opener is None:
            # A state field of the name of a value that was sealed holds its stand-in.
            sealed = {k for e in envelopes for k, v in e.data.items() if is_sealed(v)}
            state = {k: (SEALED if k in sealed else v) for k, v in state.items()}
        result["state"] = {"version": loaded.version, "value": state}
    return result


_PAGE = """
SELECT seq, event_id::text AS event_id, stream_id, stream_type, version, type, schema_version,
       recorded_at, metadata, data
FROM events
WHERE seq IS NOT NULL AND seq > $1
  AND ($2::text IS NULL OR type = $2 OR type LIKE '%.' || $2)
  AND ($3::text IS NULL OR stream_type = $3)
  AND ($4::text IS NULL OR metadata ->> 'club_id' = $4)
  AND ($5::timestamptz IS NULL OR recorded_at >= $5)
  AND ($6::timestamptz IS NULL OR recorded_at <= $6)
ORDER BY seq
LIMIT $7
"""


@dataclass(frozen=True)
class EventFilter:
    event_type: str | None = None
    stream_type: str | None = None
    club: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def page(
    pool: asyncpg.Pool,
    after_seq: int,
    limit: int,
    where: EventFilter,
    disclosure: Disclosure,
) -> list[dict[str, Any]]:
    """Events in store order after `after_seq` that match `where`, decoded and masked."""
    rows = await pool.fetch(
        _PAGE,
        after_seq,
        where.event_type,
        where.stream_type,
        where.club,
        where.since,
        where.until,
        limit,
    )
    return [
        {
            "seq": r["seq"],
            "recorded_at": r["recorded_at"].isoformat(),
            "type": r["type"],
            "stream_id": r["stream_id"],
            "version": r["version"],
            "club_id": (r["metadata"] or {}).get("club_id"),
            "event_id": r["event_id"],
            "data": await disclosure.show(r["type"], r["stream_id"], r["data"]),
        }
        for r in rows
    ]


async def start_for_last(pool: asyncpg.Pool, count: int, where: EventFilter) -> int:
    """The seq to start after so that the last `count` matching events are shown."""
    seqs = await pool.fetch(
        "SELECT seq FROM events WHERE seq IS NOT NULL"
        " AND ($1::text IS NULL OR type = $1 OR type LIKE '%.' || $1)"
        " AND ($2::text IS NULL OR stream_type = $2)"
        " AND ($3::text IS NULL OR metadata ->> 'club_id' = $3)"
        " AND ($4::timestamptz IS NULL OR recorded_at >= $4)"
        " AND ($5::timestamptz IS NULL OR recorded_at <= $5)"
        " ORDER BY seq DESC LIMIT $6",
        where.event_type,
        where.stream_type,
        where.club,
        where.since,
        where.until,
        count,
    )
    return int(seqs[-1]["seq"]) - 1 if seqs else 0
