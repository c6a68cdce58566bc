"""The operator queries every service answers without writing a line for them.

`ProjectionStatus` and `ParkedEvents` (models in `ishc_contracts.operations`) are added to a
service's own routes by `Service`; the gateway's `/v1/ops/...` routes ask them, so the operator
screen needs no database access. The computation lives in `ishc_runtime.projections.status`,
shared with the `ishc` CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nats.aio.client import Client as NatsClient

from ishc_contracts import QueryEnvelope
from ishc_contracts.operations import (
    BUILT_IN_QUERIES,
    PARKED_EVENTS,
    PROJECTION_STATUS,
    ParkedEvents,
    ParkedEventsAnswer,
    ProjectionStatus,
    ProjectionStatusAnswer,
)
from ishc_runtime.projections import Projection
from ishc_runtime.projections.status import (
    Operated,
    parked_events,
    projection_status,
    timer_status,
)
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import QueryRoute, Routes


def operated_projections(
    projections: Sequence[Projection],
    reactions: Sequence[Callable[[ServiceContext], Projection]],
    context: ServiceContext,
) -> Operated:
    """A service's projections and its reactions (built on `context`, as the service builds
    them), each with its kind."""
    found: list[tuple[Projection, Any]] = [(p, "projection") for p in projections]
    return found + [(make(context), "reaction") for make in reactions]


def with_operations(
    routes: Routes, service: str, operated: Callable[[], Operated], nc: Callable[[], NatsClient]
) -> Routes:
    """`routes` plus the built-in queries. A service may not define queries of those names:
    a dashboard relies on every service answering them the same way."""
    clash = sorted(set(routes.queries) & set(BUILT_IN_QUERIES))
    if clash:
        msg = f"{service} defines {clash}: these query names are built into every service"
        raise ValueError(msg)

    async def status(ctx: ServiceContext, _: QueryEnvelope, params: Any) -> dict[str, Any]:
        rows = await projection_status(ctx.pool, nc(), operated(), params.projection)
        timers = await timer_status(ctx.pool, ctx.clock.now())
        answer = ProjectionStatusAnswer(service=service, projections=rows, timers=timers)
        return answer.model_dump(mode="json")

    async def parked(ctx: ServiceContext, _: QueryEnvelope, params: Any) -> dict[str, Any]:
        rows = await parked_events(
            ctx.pool,
            params.projection,
            include_resolved=params.include_resolved,
            limit=params.limit + 1,
        )
        answer = ParkedEventsAnswer(
            service=service, parked=rows[: params.limit], truncated=len(rows) > params.limit
        )
        return answer.model_dump(mode="json")

    return Routes(
        commands=routes.commands,
        queries={
            **routes.queries,
            PROJECTION_STATUS: QueryRoute(ProjectionStatus, status),
            PARKED_EVENTS: QueryRoute(ParkedEvents, parked),
        },
    )
