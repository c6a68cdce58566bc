"""Rebuilding a projection in place: empty its tables and checkpoints, then let the runner
replay its sources from the first event (its consumer restarts at checkpoint + 1 = 1).

This takes the read model down while it refills; the blue-green rebuild (a new version
beside the live one, swapped when caught up) builds on the same pieces.
"""

from __future__ import annotations

import json
from datetime import datetime

from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_runtime.projections.projection import Projection
from ishc_runtime.store.pool import Connection


async def reset_projection(conn: Connection, projection: Projection) -> None:
    """Must run while no runner of this projection is active."""
    async with conn.transaction():
        for table in projection.tables:
            # Table names come from the projection's own declaration, never from input.
            await conn.execute(f'TRUNCATE "{table}"')
        await conn.execute(
            "DELETE FROM projection_checkpoints WHERE projection = $1", projection.name
        )
        await conn.execute(
            "UPDATE parked_messages SET resolved_at = clock_timestamp(), resolution = 'rebuilt'"
            " WHERE projection = $1 AND resolved_at IS NULL",
            projection.name,
        )


async def first_sequence_at(js: JetStreamContext, source: str, when: datetime) -> int:
    """The stream sequence of `source`'s first event recorded at or after `when` (its
    envelope's `recorded_at`, not the publish time, which a republish would move), or the
    stream's last sequence + 1 when there is none yet.

    A binary search over the stream: `recorded_at` grows with the sequence up to commit
    races of a few milliseconds, so events recorded within that instant of `when` may fall
    on either side of it."""
    stream = subjects.stream_name(source)
    events = subjects.all_events(source)
    if when.tzinfo is None:
        msg = "the rebuild start time must carry a UTC offset"
        raise ValueError(msg)
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return 1
    last = int(info.state.last_seq)

    async def at_or_after(seq: int) -> tuple[int, datetime] | None:
        try:
            raw = await js.get_msg(stream, seq=seq, subject=events, next=True)
        except NotFoundError:
            return None
        assert raw.seq is not None
        return raw.seq, _recorded_at(raw.data, raw.time)

    low, high = max(1, int(info.state.first_seq)), last + 1
    while low < high:
        middle = (low + high) // 2
        found = await at_or_after(middle)
        if found is None or found[1] >= when:
            high = middle
        else:
            low = found[0] + 1
    found = await at_or_after(low) if low <= last else None
    return found[0] if found is not None else last + 1


def _recorded_at(data: bytes | None, published: datetime | str | None) -> datetime:
    try:
        return datetime.fromisoformat(json.loads(data or b"")["recorded_at"])
    except (ValueError, KeyError, TypeError):
        # Not an event envelope (it would be parked anyway): place it by its publish time.
        if isinstance(published, datetime):
            return published
        return datetime.fromisoformat(published or "1970-01-01T00:00:00+00:00")
