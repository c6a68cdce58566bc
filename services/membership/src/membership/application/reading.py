"""Helpers the query handlers share: the reporting date and read-your-writes."""

from __future__ import annotations

from datetime import date

from ishc_contracts import QueryEnvelope
from ishc_runtime.clock import vn_date
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import reflects


def reporting_date(ctx: ServiceContext, as_of: date | None) -> date:
    return as_of or vn_date(ctx.clock.now())


async def fresh(
    ctx: ServiceContext, env: QueryEnvelope, projection: str, default_stream: str
) -> bool:
    """Wait (bounded) until `projection` reflects the write the envelope's token names (the
    runtime's read-your-writes, the same in every service), or `default_stream` (the query's
    own object) for a bare `min_version`. False: the answer is stale."""
    return await reflects(ctx, env, [projection], default_stream=default_stream)
