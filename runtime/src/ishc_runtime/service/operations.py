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
    BUILT_IN_OPERATOR_COMMANDS,
    BUILT_IN_QUERIES,
    DISCARD_PARKED,
    LAG_HISTORY,
    PARKED_EVENTS,
    PARKED_OPERATORS,
    PROJECTION_STATUS,
    REDRIVE_PARKED,
    DiscardParked,
    LagHistory,
    LagHistoryAnswer,
    ParkedEvents,
    ParkedEventsAnswer,
    ParkedResolved,
    ProjectionStatus,
    ProjectionStatusAnswer,
    RedriveParked,
)
from ishc_contracts.privacy import ERASE_SUBJECT, EraseSubject, SubjectErased
from ishc_contracts.retention import EXPIRE_RETENTION, ExpireRetention, RetentionExpired
from ishc_runtime.leases import LeaseLost
from ishc_runtime.projections import LeaderElsewhere, Projection, ProjectionRunner, parking
from ishc_runtime.projections.status import (
    Operated,
    lag_history,
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


class ParkedNotFound(DomainError):
    type = "parked-not-found"
    title = "No such parked event"
    status = 404


class ParkedBlocking(DomainError):
    type = "parked-blocking"
    title = "The event is blocking a stopped projection"
    status = 409


class LedElsewhere(DomainError):
    type = "projection-led-elsewhere"
    title = "Another instance runs this projection"
    status = 409


class RedriveFailed(DomainError):
    type = "redrive-failed"
    title = "The parked event failed again"
    status = 409


# Finds (or builds) the runner of a projection by name; None for a name the service lacks.
RunnerFor = Callable[[str], ProjectionRunner | None]


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


async def _parked_row(ctx: ServiceContext, parked_id: int) -> Any:
    return await ctx.pool.fetchrow(
        "SELECT id, projection, disposition, resolved_at, resolution, resolved_by,"
        " resolution_note FROM parked_messages WHERE id = $1",
        parked_id,
    )


def _settled(service: str, row: Any, *, already: bool) -> dict[str, Any]:
    answer = ParkedResolved(
        service=service,
        id=row["id"],
        projection=row["projection"],
        resolution=row["resolution"],
        resolved_by=row["resolved_by"],
        note=row["resolution_note"],
        already=already,
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
        # The key's destruction and its record commit together: a crash between them would
        # leave a retry finding the key gone and recording that nothing was destroyed.
        async with ctx.pool.acquire() as conn, conn.transaction():
            destroyed = 0
            if privacy is not None:
                destroyed = await privacy.keys.destroy_key(
                    payload.stream_id, payload.category, connection=conn
                )
            await conn.execute(
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


def _open_or_answer(service: str, row: Any, parked_id: int) -> dict[str, Any] | None:
    """None when the row is open and parked (act on it); the earlier outcome for a resolved
    one (a repeat answers what was done); refusals for an unknown or blocking one."""
    if row is None:
        raise ParkedNotFound(f"no parked event {parked_id} in {service}", field="parked_id")
    if row["resolved_at"] is not None:
        return _settled(service, row, already=True)
    if row["disposition"] == "blocking":
        msg = (
            f"parked event {parked_id} blocks the stopped projection {row['projection']}: fix"
            " the handler and restart the service, the projection applies it itself"
        )
        raise ParkedBlocking(msg, field="parked_id")
    return None


def _operator_only(envelope: CommandEnvelope) -> None:
    # The gateway lets only operators through; the service does not rely on it.
    if envelope.actor.role not in PARKED_OPERATORS:
        msg = "only operators and national admins may redrive or discard parked events"
        raise Forbidden(msg)


async def redrive_parked(
    ctx: ServiceContext,
    service: str,
    runner_for: RunnerFor,
    envelope: CommandEnvelope,
    payload: RedriveParked,
) -> dict[str, Any]:
    """Apply one parked event again through its projection's runner, fenced by the lease of
    the projection's source (`ProjectionRunner.redrive`)."""
    _operator_only(envelope)
    row = await _parked_row(ctx, payload.parked_id)
    answered = _open_or_answer(service, row, payload.parked_id)
    if answered is not None:
        return answered
    runner = runner_for(row["projection"])
    if runner is None:
        msg = f"{service} no longer has the projection {row['projection']}"
        raise ParkedNotFound(msg, field="parked_id")
    try:
        applied = await runner.redrive(payload.parked_id, by=envelope.actor.user_id)
    except (LeaderElsewhere, LeaseLost) as error:
        raise LedElsewhere(str(error)) from error
    except Exception as error:  # the handler (or the event) fails again: it stays parked
        # The error's type only: its text may carry the event's opened (personal) values.
        log.warning(
            "parked.redrive_failed", parked_id=payload.parked_id, error=type(error).__name__
        )
        msg = f"{type(error).__name__} (the service's log has the parked event's id)"
        raise RedriveFailed(msg) from error
    row = await _parked_row(ctx, payload.parked_id)
    log.info(
        "parked.redriven",
        parked_id=payload.parked_id,
        projection=row["projection"],
        by=envelope.actor.user_id,
    )
    # Not applied: resolved meanwhile by another request, whose outcome stands.
    return _settled(service, row, already=not applied)


async def discard_parked(
    ctx: ServiceContext, service: str, envelope: CommandEnvelope, payload: DiscardParked
) -> dict[str, Any]:
    """Settle one parked event without applying it, with who and why."""
    _operator_only(envelope)
    async with ctx.pool.acquire() as conn:
        done = await parking.discard(
            conn, payload.parked_id, envelope.actor.user_id, payload.reason
        )
    if done is None:
        row = await _parked_row(ctx, payload.parked_id)
        answered = _open_or_answer(service, row, payload.parked_id)
        if answered is None:  # cannot be: it was open and parked, yet not updated
            msg = f"parked event {payload.parked_id} changed meanwhile: ask again"
            raise ParkedBlocking(msg, field="parked_id")
        return answered
    log.info(
        "parked.discarded",
        parked_id=payload.parked_id,
        projection=done["projection"],
        by=envelope.actor.user_id,
    )
    return _settled(service, done, already=False)


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
    routes: Routes,
    service: str,
    operated: Callable[[], Operated],
    nc: Callable[[], NatsClient],
    runner_for: RunnerFor = lambda _name: None,
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
            parked_id=params.parked_id,
        )
        answer = ParkedEventsAnswer(
            service=service, parked=rows[: params.limit], truncated=len(rows) > params.limit
        )
        return answer.model_dump(mode="json")

    async def lags(ctx: ServiceContext, _: QueryEnvelope, params: Any) -> dict[str, Any]:
        samples = await lag_history(ctx.pool, params.projection, params.minutes)
        answer = LagHistoryAnswer(service=service, minutes=params.minutes, samples=samples)
        return answer.model_dump(mode="json")

    built_in = sorted(
        set(routes.commands) & {ERASE_SUBJECT, EXPIRE_RETENTION, *BUILT_IN_OPERATOR_COMMANDS}
    )
    if built_in:
        msg = f"{service} defines {built_in}: these commands are built into every service"
        raise ValueError(msg)

    async def erase(ctx: ServiceContext, envelope: CommandEnvelope, payload: Any) -> dict[str, Any]:
        return await erase_subject(ctx, service, envelope, payload)

    async def redrive(
        ctx: ServiceContext, envelope: CommandEnvelope, payload: Any
    ) -> dict[str, Any]:
        return await redrive_parked(ctx, service, runner_for, envelope, payload)

    async def discard(
        ctx: ServiceContext, envelope: CommandEnvelope, payload: Any
    ) -> dict[str, Any]:
        return await discard_parked(ctx, service, envelope, payload)

    async def expire(
        ctx: ServiceContext, envelope: CommandEnvelope, payload: Any
    ) -> dict[str, Any]:
        return await expire_retention(ctx, service, envelope, payload)

    return Routes(
        commands={
            **routes.commands,
            ERASE_SUBJECT: CommandRoute(EraseSubject, erase),
            REDRIVE_PARKED: CommandRoute(RedriveParked, redrive),
            DISCARD_PARKED: CommandRoute(DiscardParked, discard),
            EXPIRE_RETENTION: CommandRoute(ExpireRetention, expire),
        },
        queries={
            **routes.queries,
            PROJECTION_STATUS: QueryRoute(ProjectionStatus, status),
            PARKED_EVENTS: QueryRoute(ParkedEvents, parked),
            LAG_HISTORY: QueryRoute(LagHistory, lags),
        },
    )
