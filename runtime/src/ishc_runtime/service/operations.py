"""The operator queries every service answers without writing a line for them.

`ProjectionStatus` and `ParkedEvents` (models in `ishc_contracts.operations`) are added to a
service's own routes by `Service`; the gateway's `/v1/ops/...` routes ask them, so the operator
screen needs no database access. The computation lives in `ishc_runtime.projections.status`,
shared with the `ishc` CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog
from nats.aio.client import Client as NatsClient

from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import DomainError
from ishc_contracts.operations import (
    BUILT_IN_QUERIES,
    PARKED_EVENTS,
    PROJECTION_STATUS,
    ParkedEvents,
    ParkedEventsAnswer,
    ProjectionStatus,
    ProjectionStatusAnswer,
)
from ishc_contracts.privacy import ERASE_SUBJECT, EraseSubject, SubjectErased
from ishc_contracts.retention import EXPIRE_RETENTION, ExpireRetention, RetentionExpired
from ishc_runtime.projections import Projection
from ishc_runtime.projections.status import (
    Operated,
    parked_events,
    projection_status,
    timer_status,
)
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import CommandRoute, QueryRoute, Routes

log = structlog.get_logger(__name__)

# Roles that may erase a person's data (Law 91/2025/QH15: on the data subject's request, by the
# controller): the programme's national admins.
ERASERS = frozenset({"national_admin"})


class Forbidden(DomainError):
    type = "forbidden"
    title = "Not allowed for this role"
    status = 403


async def erase_subject(
    ctx: ServiceContext, service: str, envelope: CommandEnvelope, payload: EraseSubject
) -> dict[str, Any]:
    """Destroy every data key of the person here, once per command id, and record why."""
    # The gateway lets only national admins through; the service does not rely on it.
    if envelope.actor.role not in ERASERS:
        msg = "only a national admin may erase a person's data"
        raise Forbidden(msg)
    privacy = ctx.store.privacy
    done = await ctx.pool.fetchval(
        "SELECT keys_destroyed FROM privacy_erasures WHERE command_id = $1", envelope.command_id
    )
    if done is None:
        destroyed = 0
        if privacy is not None:
            for person in (payload.person_id, *payload.other_ids):
                destroyed += await privacy.keys.destroy(person)
            # Keys handed over by other services may be erased there too: ask again.
            privacy.forget_granted()
        await ctx.pool.execute(
            "INSERT INTO privacy_erasures (command_id, person_id, other_ids, actor, reason,"
            " legal_basis, keys_destroyed) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (command_id) DO NOTHING",
            envelope.command_id,
            payload.person_id,
            list(payload.other_ids),
            envelope.actor.user_id,
            payload.reason,
            payload.legal_basis,
            destroyed,
        )
        done = destroyed
    log.info(
        "privacy.subject_erased",
        person_id=str(payload.person_id),
        keys_destroyed=done,
        legal_basis=payload.legal_basis,
    )
    answer = SubjectErased(
        service=service, person_id=payload.person_id, keys_destroyed=done, sealing=bool(privacy)
    )
    return answer.model_dump(mode="json")


# Retention is the service's own timers acting: only the system actor sends ExpireRetention.
EXPIRERS = frozenset({"system"})


async def expire_retention(
    ctx: ServiceContext, service: str, envelope: CommandEnvelope, payload: ExpireRetention
) -> dict[str, Any]:
    """Destroy the data key of (stream, category) once its retention period ended, once per
    command id, and record it. The stream's other categories stay readable."""
    if envelope.actor.role not in EXPIRERS:
        msg = "retention is applied by the service's scheduler only"
        raise Forbidden(msg)
    privacy = ctx.store.privacy
    done = await ctx.pool.fetchval(
        "SELECT keys_destroyed FROM privacy_retention WHERE command_id = $1", envelope.command_id
    )
    if done is None:
        destroyed = 0
        if privacy is not None:
            destroyed = await privacy.keys.destroy_key(payload.stream_id, payload.category)
        await ctx.pool.execute(
            "INSERT INTO privacy_retention (command_id, rule, subject, category, started_on,"
            " ends_on, keys_destroyed) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (command_id) DO NOTHING",
            envelope.command_id,
            payload.rule,
            payload.stream_id,
            payload.category,
            payload.started_on,
            payload.ends_on,
            destroyed,
        )
        done = destroyed
    log.info(
        "privacy.retention_expired",
        rule=payload.rule,
        subject=payload.stream_id,
        category=payload.category,
        keys_destroyed=done,
    )
    answer = RetentionExpired(
        service=service, subject=payload.stream_id, category=payload.category, keys_destroyed=done
    )
    return answer.model_dump(mode="json")


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

    for built_in in (ERASE_SUBJECT, EXPIRE_RETENTION):
        if built_in in routes.commands:
            msg = f"{service} defines {built_in}: it is built into every service"
            raise ValueError(msg)

    async def erase(ctx: ServiceContext, envelope: CommandEnvelope, payload: Any) -> dict[str, Any]:
        return await erase_subject(ctx, service, envelope, payload)

    async def expire(
        ctx: ServiceContext, envelope: CommandEnvelope, payload: Any
    ) -> dict[str, Any]:
        return await expire_retention(ctx, service, envelope, payload)

    return Routes(
        commands={
            **routes.commands,
            ERASE_SUBJECT: CommandRoute(EraseSubject, erase),
            EXPIRE_RETENTION: CommandRoute(ExpireRetention, expire),
        },
        queries={
            **routes.queries,
            PROJECTION_STATUS: QueryRoute(ProjectionStatus, status),
            PARKED_EVENTS: QueryRoute(ParkedEvents, parked),
        },
    )
