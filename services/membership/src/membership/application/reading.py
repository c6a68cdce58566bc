"""Helpers the query handlers share: the reporting date and read-your-writes."""

from __future__ import annotations

from datetime import date

from ishc_contracts import QueryEnvelope
from ishc_runtime.clock import vn_date
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import caught_up


def reporting_date(ctx: ServiceContext, as_of: date | None) -> date:
    return as_of or vn_date(ctx.clock.now())


async def fresh(
    ctx: ServiceContext, env: QueryEnvelope, streams_table: str, default_stream: str
) -> bool:
    """Wait (bounded) until the projection applied `env.stream_id` (or the query's own
    stream) up to `env.min_version`. False: the answer is marked stale."""
    stream = env.stream_id or default_stream

    async def version() -> int | None:
        found: int | None = await ctx.pool.fetchval(
            f"SELECT version FROM {streams_table} WHERE stream_id = $1", stream
        )
        return found

    return await caught_up(version, env.min_version)
