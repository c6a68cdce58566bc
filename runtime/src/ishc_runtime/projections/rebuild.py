"""Rebuilding a projection in place: empty its tables and checkpoints, then let the runner
replay its sources from the first event (its consumer restarts at checkpoint + 1 = 1).

This takes the read model down while it refills; the blue-green rebuild (a new version
beside the live one, swapped when caught up) builds on the same pieces.
"""

from __future__ import annotations

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
