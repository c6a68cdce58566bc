"""Dead letters: the `parked_messages` table of a service's database."""

from __future__ import annotations

import getpass
import json
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient

from ishc_contracts import EventEnvelope
from ishc_ops.masking import Disclosure
from ishc_ops.targets import FAILED, NOT_FOUND, OpsError, find_any
from ishc_runtime.projections import ProjectionRunner, status
from ishc_runtime.service import ServiceDefinition


async def list_parked(
    pool: asyncpg.Pool, projection: str | None, include_resolved: bool
) -> list[dict[str, Any]]:
    """The runtime's listing (no payloads), the same the services answer `ParkedEvents` with."""
    rows = await status.parked_events(pool, projection, include_resolved=include_resolved)
    return [row.model_dump(mode="json") for row in rows]


async def show_parked(pool: asyncpg.Pool, parked_id: int, disclosure: Disclosure) -> dict[str, Any]:
    row = await pool.fetchrow("SELECT * FROM parked_messages WHERE id = $1", parked_id)
    if row is None:
        raise OpsError(f"no parked message {parked_id}", NOT_FOUND)
    found = dict(row)
    payload = bytes(found.pop("payload"))
    try:
        envelope = EventEnvelope.model_validate_json(payload)
    except ValueError:
        found["payload"] = payload.decode("utf-8", errors="replace")
    else:
        body = envelope.model_dump(mode="json")
        body["data"] = await disclosure.show(envelope.type, envelope.stream_id, envelope.data)
        found["payload"] = body
    if isinstance(found.get("headers"), str):
        found["headers"] = json.loads(found["headers"])
    return found


async def _open(pool: asyncpg.Pool, ids: list[int], projection: str | None) -> list[asyncpg.Record]:
    """The open parked rows to act on, in stream order (per projection and source)."""
    rows = await pool.fetch(
        "SELECT id, projection, source, stream_seq, disposition FROM parked_messages"
        " WHERE resolved_at IS NULL AND ($1::bigint[] IS NULL OR id = ANY($1))"
        " AND ($2::text IS NULL OR projection = $2) ORDER BY projection, source, stream_seq",
        ids or None,
        projection,
    )
    missing = set(ids) - {r["id"] for r in rows}
    if missing:
        msg = f"not open (unknown or already resolved): {', '.join(map(str, sorted(missing)))}"
        raise OpsError(msg, NOT_FOUND)
    blocking = [r["id"] for r in rows if r["disposition"] == "blocking"]
    if blocking and ids:
        msg = (
            f"{blocking} are blocking a stopped projection: fix the handler and restart the"
            " service, the runner applies them itself"
        )
        raise OpsError(msg, FAILED)
    return [r for r in rows if r["disposition"] == "parked"]


async def plan(pool: asyncpg.Pool, ids: list[int], projection: str | None) -> list[dict[str, Any]]:
    return [dict(r) for r in await _open(pool, ids, projection)]


async def redrive(
    pool: asyncpg.Pool, definition: ServiceDefinition, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Apply each parked event once, in stream order; stop at the first that fails again."""
    results = []
    runners: dict[str, ProjectionRunner] = {}
    for row in rows:
        name = row["projection"]
        if name not in runners:
            projection = find_any(definition, pool, name)
            # The runner's redrive needs no NATS: an unconnected client is enough.
            runners[name] = ProjectionRunner(pool, NatsClient(), projection, definition.registry)
        try:
            applied = await runners[name].redrive(row["id"], by=getpass.getuser())
        except Exception as error:
            results.append({"id": row["id"], "outcome": "failed", "error": f"{error!r}"})
            break
        results.append({"id": row["id"], "outcome": "redriven" if applied else "already resolved"})
    return results


async def discard(pool: asyncpg.Pool, rows: list[dict[str, Any]], note: str | None) -> list[int]:
    done = []
    async with pool.acquire() as conn, conn.transaction():
        for row in rows:
            status = await conn.execute(
                "UPDATE parked_messages SET resolved_at = clock_timestamp(),"
                " resolution = 'discarded', resolved_by = $3, resolution_note = $2,"
                " detail = detail || coalesce(E'\\n[discarded] ' || $2, '')"
                " WHERE id = $1 AND resolved_at IS NULL AND disposition = 'parked'",
                row["id"],
                note,
                # The CLI runs as the operator's own account on the host: that is who.
                getpass.getuser(),
            )
            if status.endswith(" 1"):
                done.append(row["id"])
    return done
