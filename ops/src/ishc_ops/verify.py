"""Is a projection what its streams say it should be? Fold them again beside it and compare.

The shadow of a blue-green rebuild (`ishc_ops.shadow`), bounded by the live checkpoints, is
compared with the live tables at a point where both have applied exactly the same events;
the live projection keeps running (it waits a moment at its next batch), and nothing is
switched: the comparison's transaction is rolled back and the shadow is dropped.

`Verifier` keeps its shadows between checks, so a caller that checks again and again (the
fault suite) folds only what is new each time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NatsClient

from ishc_ops.shadow import Progress, Shadow, TableComparison
from ishc_runtime.privacy import Privacy
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceDefinition


@dataclass(frozen=True)
class Verification:
    projection: str
    checkpoints: dict[str, int]
    tables: list[TableComparison]

    @property
    def same(self) -> bool:
        return all(table.same for table in self.tables)

    def describe(self) -> str:
        rows = ", ".join(
            f"{t.table} {t.live_rows}/{t.folded_rows}{'' if t.same else ' DIFFERS'}"
            for t in self.tables
        )
        return f"{self.projection} at {self.checkpoints}: {rows} (rows live/folded)"


class Verifier:
    """Shadows of some projections of one service, checked against the live ones on demand."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        nc: NatsClient,
        dsn: str,
        definition: ServiceDefinition,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
        poll_interval: float = 0.1,
        privacy: Privacy | None = None,
    ) -> None:
        self.shadows = [
            Shadow(
                pool,
                nc,
                dsn,
                definition,
                projection,
                batch_size=batch_size,
                poll_interval=poll_interval,
                bounded=True,
                privacy=privacy,
            )
            for projection in projections
        ]
        self._prepared = False

    async def check(self, progress: Progress | None = None) -> list[Verification]:
        """Fold what is new, then compare each projection at its live checkpoints."""
        if not self._prepared:
            for shadow in self.shadows:
                await shadow.prepare()
            self._prepared = True
        results = []
        for shadow in self.shadows:
            await shadow.fill(progress)
            async with shadow.at_live(commit=False) as (conn, live):
                tables = await shadow.compare(conn)
            results.append(Verification(shadow.projection.name, live, tables))
        return results

    async def close(self) -> None:
        """Drop the shadows; the live projections are untouched."""
        for shadow in self.shadows:
            try:
                if self._prepared:
                    await shadow.discard_shadow()
            finally:
                await shadow.close()
