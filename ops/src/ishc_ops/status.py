"""Read-only views: JetStream streams, store vs relayed positions, projection status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_ops.targets import with_reactions
from ishc_runtime.service import ServiceDefinition

REBUILD_SUFFIX = "__rebuild"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


async def jetstream_streams(nc: NatsClient) -> list[dict[str, Any]]:
    js = nc.jetstream()
    found = []
    for info in await js.streams_info():
        state, config = info.state, info.config
        found.append(
            {
                "stream": config.name,
                "messages": state.messages,
                "bytes": state.bytes,
                "first_seq": state.first_seq,
                "first_time": _iso(getattr(state, "first_ts", None)),
                "last_seq": state.last_seq,
                "last_time": _iso(getattr(state, "last_ts", None)),
                "replicas": config.num_replicas,
            }
        )
    return sorted(found, key=lambda s: str(s["stream"]))


async def store_position(pool: asyncpg.Pool, service: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT max(seq) AS max_seq, count(*) FILTER (WHERE seq IS NULL) AS unsequenced,"
        " count(*) AS events FROM events"
    )
    assert row is not None
    relayed = await pool.fetchrow(
        "SELECT seq, updated_at FROM relay_checkpoints WHERE stream = $1",
        subjects.stream_name(service),
    )
    max_seq = int(row["max_seq"] or 0)
    relayed_seq = int(relayed["seq"]) if relayed else 0
    return {
        "service": service,
        "stream": subjects.stream_name(service),
        "events": int(row["events"]),
        "store_max_seq": max_seq,
        "unsequenced": int(row["unsequenced"]),
        "relayed_seq": relayed_seq,
        "relayed_at": _iso(relayed["updated_at"]) if relayed else None,
        "relay_lag": max(0, max_seq - relayed_seq) + int(row["unsequenced"]),
    }


async def _last_seqs(nc: NatsClient | None, sources: set[str]) -> dict[str, int | None]:
    last: dict[str, int | None] = {}
    for source in sorted(sources):
        if nc is None:
            last[source] = None
            continue
        try:
            info = await nc.jetstream().stream_info(subjects.stream_name(source))
            last[source] = int(info.state.last_seq)
        except NotFoundError:
            last[source] = None
    return last


async def projection_status(
    pool: asyncpg.Pool, nc: NatsClient | None, definition: ServiceDefinition
) -> list[dict[str, Any]]:
    """One row per (projection, source) of the service's projections."""
    everything = with_reactions(definition, pool)
    sources = {s for p, _ in everything for s in p.sources}
    last = await _last_seqs(nc, sources)
    checkpoints = {
        (r["projection"], r["source"]): r
        for r in await pool.fetch(
            "SELECT projection, source, stream_seq, updated_at FROM projection_checkpoints"
        )
    }
    parked = {
        (r["projection"], r["source"], r["disposition"]): int(r["n"])
        for r in await pool.fetch(
            "SELECT projection, source, disposition, count(*) AS n FROM parked_messages"
            " WHERE resolved_at IS NULL GROUP BY projection, source, disposition"
        )
    }
    rows = []
    for projection, kind in everything:
        for source in projection.sources:
            cp = checkpoints.get((projection.name, source))
            checkpoint = int(cp["stream_seq"]) if cp else 0
            stream_last = last[source]
            lag = None if stream_last is None else max(0, stream_last - checkpoint)
            blocking = parked.get((projection.name, source, "blocking"), 0)
            rebuilding = (projection.name + REBUILD_SUFFIX, source) in checkpoints
            if blocking:
                state = "stopped"
            elif rebuilding:
                state = "rebuilding"
            elif lag is None:
                state = "no stream"
            else:
                state = "caught up" if lag == 0 else "behind"
            rows.append(
                {
                    "projection": projection.name,
                    "kind": kind,
                    "source": source,
                    "policy": projection.policy,
                    "checkpoint": checkpoint,
                    "stream_last_seq": stream_last,
                    "lag": lag,
                    "parked": parked.get((projection.name, source, "parked"), 0),
                    "blocking": blocking,
                    "state": state,
                    "updated_at": _iso(cp["updated_at"]) if cp else None,
                }
            )
    return rows
