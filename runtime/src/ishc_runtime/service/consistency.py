"""Read-your-writes: a query may wait, bounded, until a read model has caught up with a
stream version the client got back from its command.

`reflects` is what every query of a service uses (issue #18): the token `stream@version`
names an event of this service's store; its `seq` there, against the last `seq` each of the
query's projections has taken from this service (`projection_checkpoints.store_seq`), says
whether the answer reflects the write, whatever tables the query reads. A token that names
no write of this service, or a query whose read models take nothing from it, is refused
(422 `token-not-applicable`) rather than answered `stale: false` without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from ishc_contracts import QueryEnvelope
from ishc_contracts.errors import DomainError

if TYPE_CHECKING:
    from ishc_runtime.service.context import ServiceContext


class TokenNotApplicable(DomainError):
    type = "token-not-applicable"
    title = "Consistency token not applicable to this query"
    status = 422


async def caught_up(
    current_version: Callable[[], Awaitable[int | None]],
    min_version: int | None,
    *,
    within: float = 5.0,
    interval: float = 0.02,
) -> bool:
    """True once `current_version()` reaches `min_version` (at once if none was asked for);
    False if `within` seconds pass first, and the caller answers with what it has, marked stale."""
    if min_version is None:
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        version = await current_version()
        if version is not None and version >= min_version:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(interval)


async def reflects(
    ctx: ServiceContext,
    env: QueryEnvelope,
    projections: Sequence[str],
    *,
    default_stream: str | None = None,
    within: float = 5.0,
) -> bool:
    """Whether the query's read models (`projections`, by name) reflect the write the
    envelope's token names, waiting up to `within` seconds. True at once without a token;
    False when the wait ran out (the answer is marked stale); TokenNotApplicable when the token
    cannot be honoured here. `default_stream`: the stream a bare `min_version` refers to (the
    object the query reads), for callers on the bus that send no `stream_id`."""
    if env.min_version is None:
        return True
    stream_id = env.stream_id or default_stream
    if stream_id is None:
        raise TokenNotApplicable("the token names no stream", field="consistency")
    if not projections:
        raise TokenNotApplicable(
            "this query reads no read model of this service's writes", field="consistency"
        )
    version = env.min_version
    exists = await ctx.pool.fetchval(
        "SELECT true FROM events WHERE stream_id = $1 AND version = $2", stream_id, version
    )
    if not exists:
        raise TokenNotApplicable(
            f"{ctx.service} wrote no {stream_id}@{version}: a token works on the queries of "
            "the service whose command returned it",
            field="consistency",
        )

    async def lowest_taken() -> int | None:
        # 0 while the event is not sequenced yet or a projection has taken nothing: wait.
        value: int | None = await ctx.pool.fetchval(
            "SELECT CASE WHEN e.seq IS NULL THEN NULL"
            " WHEN count(c.store_seq) < cardinality($3::text[]) THEN NULL"
            " WHEN min(c.store_seq) >= e.seq THEN 1 ELSE 0 END"
            " FROM events e LEFT JOIN projection_checkpoints c"
            " ON c.projection = ANY($3::text[]) AND c.source = $4"
            " WHERE e.stream_id = $1 AND e.version = $2 GROUP BY e.seq",
            stream_id,
            version,
            list(projections),
            ctx.service,
        )
        return value

    return await caught_up(lowest_taken, 1, within=within)
