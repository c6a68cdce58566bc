"""Blue-green rebuild of one projection: the live read model keeps serving meanwhile.

Steps 1-3 are the shadow's (`ishc_ops.shadow`): shadow tables, a fill from the first event
(or from a time), a comparison with the live tables. Then:
4. Switch, in ONE transaction (the shadow's consistent point `at_live`): with the live
   checkpoints locked and the shadow caught up to them, move the live tables to
   `retired_<name>` and the shadow ones into their place, and hand the shadow's checkpoints
   to the live name. Readers wait for the renames for a moment, never fail.
Cancelling before step 4 drops the shadow: the live read model is never touched.
Only `ServiceDefinition.projections` can be rebuilt; reactions (which send commands) never.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ishc_ops.shadow import Progress, Shadow, ident

__all__ = ["Progress", "Rate", "Rebuild"]


@dataclass
class Rebuild(Shadow):
    swapped: bool = False

    @property
    def retired(self) -> str:
        return f"retired_{self.projection.name}"[:63]

    async def switch(self, keep_old: bool = False) -> dict[str, int]:
        """Swap atomically; return the checkpoints the live projection continues from."""
        live_name = self.projection.name
        await self.build_deferred_indexes()
        async with self.at_live(commit=True) as (conn, _):
            shadow = await self.checkpoints(conn, self.name, lock=True)
            await conn.execute(f"DROP SCHEMA IF EXISTS {ident(self.retired)} CASCADE")
            await conn.execute(f"CREATE SCHEMA {ident(self.retired)}")
            retired, shadow_schema = ident(self.retired), ident(self.schema)
            for table, schema in self.live_schemas.items():
                live_table = f"{ident(schema)}.{ident(table)}"
                await conn.execute(f"ALTER TABLE {live_table} SET SCHEMA {retired}")
                await conn.execute(
                    f"ALTER TABLE {shadow_schema}.{ident(table)} SET SCHEMA {ident(schema)}"
                )
            # The new version's checkpoints, with what it took (the skip check's accounts).
            await conn.execute(
                "INSERT INTO projection_checkpoints (projection, source, stream_seq, first_seq,"
                " taken) SELECT $1, source, stream_seq, first_seq, taken"
                " FROM projection_checkpoints WHERE projection = $2"
                " ON CONFLICT (projection, source) DO UPDATE SET stream_seq = excluded.stream_seq,"
                " first_seq = excluded.first_seq, taken = excluded.taken,"
                " updated_at = clock_timestamp()",
                live_name,
                self.name,
            )
            await conn.execute(
                "DELETE FROM projection_checkpoints WHERE projection = $1", self.name
            )
            # Dead letters: the old version's open ones are settled by the rebuild; the new
            # version's become the live projection's.
            await conn.execute(
                "UPDATE parked_messages SET resolved_at = clock_timestamp(),"
                " resolution = 'rebuilt' WHERE projection = $1 AND resolved_at IS NULL",
                live_name,
            )
            await conn.execute(
                "DELETE FROM parked_messages o USING parked_messages n WHERE o.projection = $1"
                " AND n.projection = $2 AND o.source = n.source AND o.stream_seq = n.stream_seq",
                live_name,
                self.name,
            )
            await conn.execute(
                "UPDATE parked_messages SET projection = $1 WHERE projection = $2",
                live_name,
                self.name,
            )
            await conn.execute(f"DROP SCHEMA {ident(self.schema)}")
        self.swapped = True
        if not keep_old:
            await self.pool.execute(f"DROP SCHEMA IF EXISTS {ident(self.retired)} CASCADE")
        await self.delete_consumers()
        return shadow


class Rate:
    """Events per second over the last few samples, for the progress bar."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, int]] = []

    def add(self, done: int) -> float:
        now = time.monotonic()
        self.samples.append((now, done))
        self.samples = [s for s in self.samples if now - s[0] <= 5.0]
        first_time, first_done = self.samples[0]
        return (done - first_done) / (now - first_time) if now > first_time else 0.0
