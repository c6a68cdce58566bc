"""Read-only views: JetStream streams, store vs relayed positions, projection status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient

from ishc_contracts import subjects
from ishc_ops.targets import with_reactions
from ishc_runtime.projections import status
from ishc_runtime.service import ServiceDefinition


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


async def projection_status(
    pool: asyncpg.Pool, nc: NatsClient | None, definition: ServiceDefinition
) -> list[dict[str, Any]]:
    """One row per (projection, source) of the service's projections and reactions: the
    runtime's computation, the same the services answer `ProjectionStatus` with, and the
    instance that leads it (`leader`)."""
    rows = await status.projection_status(pool, nc, with_reactions(definition, pool))
    found = [row.model_dump(mode="json") for row in rows]
    led = await leaders(pool, [f"projection:{r['projection']}:{r['source']}" for r in found])
    for row in found:
        row["leader"] = led[f"projection:{row['projection']}:{row['source']}"]
    return found


def service_roles(definition: ServiceDefinition) -> list[str]:
    """The roles besides projections that one instance of the service leads at a time."""
    return [f"relay:{subjects.stream_name(definition.name)}", "scheduler"]


async def leaders(pool: asyncpg.Pool, roles: list[str]) -> dict[str, str | None]:
    """Who leads each role now (None: nobody, or only an expired lease): the holder of its
    row in the service's `leases` table, an instance id (`<SERVICE>_INSTANCE_ID`)."""
    rows = await pool.fetch(
        "SELECT role, holder FROM leases WHERE role = ANY($1) AND expires_at > clock_timestamp()",
        roles,
    )
    held = {r["role"]: str(r["holder"]) for r in rows}
    return {role: held.get(role) for role in roles}
