"""The post-commit sequencer (DESIGN §4).

Writers insert with `seq` NULL and take no lock. One sequencer per service numbers the rows
that are committed and not yet numbered, in `pos` order, continuing after the highest `seq`.
The predicate is "not yet sequenced", never "after a checkpoint", so a transaction that
commits late is numbered in a later round: nothing is skipped, and no timer is involved.
Per-stream order holds because version n+1 of a stream is written only after version n
committed, so n is numbered in an earlier round or earlier (lower `pos`) in the same one.
"""

from __future__ import annotations

from ishc_runtime.observability import metrics
from ishc_runtime.store.pool import Connection

_ASSIGN = """
WITH top AS (SELECT coalesce(max(seq), 0) AS seq FROM events),
pending AS (
    SELECT pos, row_number() OVER (ORDER BY pos) AS n
    FROM events WHERE seq IS NULL ORDER BY pos LIMIT $1
)
UPDATE events SET seq = top.seq + pending.n
FROM pending, top
WHERE events.pos = pending.pos
"""


async def assign_sequence(conn: Connection, limit: int = 10_000) -> int:
    """Number up to `limit` committed rows; return how many. The caller must be the leader."""
    status = await conn.execute(_ASSIGN, limit)
    count = int(status.rsplit(" ", 1)[1])
    metrics.EVENTS_SEQUENCED.inc(count)
    return count
