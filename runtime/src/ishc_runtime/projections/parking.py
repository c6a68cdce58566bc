"""The dead-letter table: parked messages and the ones a stopped projection waits on."""

from __future__ import annotations

from typing import Literal

import asyncpg
from nats.aio.msg import Msg

from ishc_runtime.projections.messages import Unusable
from ishc_runtime.store.pool import Connection

_INSERT = """
INSERT INTO parked_messages (projection, source, stream_seq, subject, event_id, event_type,
                             reason, detail, payload, headers, disposition, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (projection, source, stream_seq) DO UPDATE
SET reason = excluded.reason, detail = excluded.detail, disposition = excluded.disposition,
    attempts = parked_messages.attempts + excluded.attempts, resolved_at = NULL,
    resolved_by = NULL, resolution_note = NULL
"""


async def park(
    conn: Connection,
    projection: str,
    source: str,
    msg: Msg,
    unusable: Unusable,
    disposition: Literal["parked", "blocking"],
    attempts: int = 1,
) -> None:
    envelope = unusable.envelope
    await conn.execute(
        _INSERT,
        projection,
        source,
        msg.metadata.sequence.stream,
        msg.subject,
        envelope.event_id if envelope else None,
        envelope.type if envelope else None,
        unusable.reason,
        unusable.detail,
        msg.data,
        dict(msg.headers or {}),
        disposition,
        attempts,
    )


async def record_blocking(
    conn: Connection,
    projection: str,
    source: str,
    msg: Msg,
    unusable: Unusable,
    attempts: int,
) -> None:
    await park(conn, projection, source, msg, unusable, "blocking", attempts)


async def resolve_blocking(conn: Connection, projection: str, source: str, seq: int) -> None:
    await conn.execute(
        "UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'applied'"
        " WHERE projection = $1 AND source = $2 AND stream_seq = $3 AND resolved_at IS NULL",
        projection,
        source,
        seq,
    )


async def discard(
    conn: Connection, parked_id: int, by: str | None, reason: str | None
) -> asyncpg.Record | None:
    """Settle an open parked (not blocking) message without applying it, recording who and
    why; the row as it stands now, or None when it was not open (unknown, resolved, blocking).
    A blocking one is settled by fixing the handler: the stopped projection applies it."""
    return await conn.fetchrow(
        "UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'discarded',"
        " resolved_by = $2, resolution_note = $3"
        " WHERE id = $1 AND resolved_at IS NULL AND disposition = 'parked'"
        " RETURNING id, projection, resolution, resolved_by, resolution_note",
        parked_id,
        by,
        reason,
    )
