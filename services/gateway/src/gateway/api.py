"""Routes generated from the contracts: one POST per command, one GET per query, plus sync.

No `from __future__ import annotations` here: FastAPI reads the generated endpoints'
annotations at runtime, and they name models held in closures.
"""

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import structlog
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, create_model

from gateway import access, problems
from gateway.auth import NATIONAL_ROLES, Principal, bearer_token
from gateway.docs import own_summary
from gateway.examples import example_for
from gateway.gateway_state import (
    Gateway,
    issues,
    kebab,
    parse_consistency,
    tokens_of,
)
from gateway.policy import in_scope
from gateway.throttle import CONCURRENCY_RETRY_SECONDS
from ishc_contracts import Actor, Command, QueryEnvelope
from ishc_contracts.audit import PURPOSE_HEADER, default_purpose
from ishc_contracts.bounds import PROGRAMME_START
from ishc_contracts.errors import Problem

log = structlog.get_logger(__name__)

CONSISTENCY_HEADER = "ISHC-Consistency"
STALE_HEADER = "ISHC-Stale"


CORRELATION_HEADER = "X-Correlation-Id"


def correlation_of(request: Request) -> UUID:
    """The client's `X-Correlation-Id` when it is a UUID, else a new one (set by middleware)."""
    correlation: UUID = request.state.correlation_id
    return correlation


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def current_principal(request: Request) -> AsyncIterator[Principal]:
    """The caller, from `Authorization: Bearer <JWT>`, within their limits: requests a minute
    and requests in progress at once (the slot is held until the request is answered)."""
    gateway = gateway_of(request)
    principal = await gateway.verifier.verify(bearer_token(request))
    throttle = gateway.throttle
    wait = throttle.over_rate(principal.sub)
    if wait is not None:
        raise _limited("too many requests; slow down", wait)
    if not throttle.enter(principal.sub):
        raise _limited(
            "too many requests of yours in progress; wait for an answer",
            CONCURRENCY_RETRY_SECONDS,
        )
    try:
        yield principal
    finally:
        throttle.leave(principal.sub)


def _limited(detail: str, seconds: int) -> problems.ProblemError:
    return problems.ProblemError(
        problems.make("rate-limited", 429, detail, retry_after=seconds),
        headers={"Retry-After": str(seconds)},
    )


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class CommandAccepted(BaseModel):
    """What a command answers: the service's result plus a consistency token for reads."""

    model_config = ConfigDict(extra="allow")

    command_id: UUID
    duplicate: bool = Field(description="True when this Idempotency-Key was seen before")
    streams: dict[str, int] = Field(default_factory=dict, description="Stream id → version")
    event_ids: list[str] = Field(default_factory=list)
    consistency: str | None = Field(
        default=None,
        description="Pass as `?consistency=` to a query to read your own write",
        examples=["account-0193a000-0000-7000-8000-000000000001@2"],
    )


class QueryAnswer(BaseModel):
    data: dict[str, Any]
    stale: bool = Field(
        description="True when a consistency token was given and the read model had not "
        "caught up within the service's bound: the data is older than your write"
    )


def _summary(model: type[BaseModel], kind: str, service: str) -> tuple[str, str]:
    """The operation's summary from the class's own docstring or its name (never the base
    class's generic line), with the service when made from the name (two services may name
    a command alike); the description is the class's own docstring."""
    doc = (model.__dict__.get("__doc__") or "").strip()
    summary = own_summary(model, kind)
    return (summary if doc else f"{summary} ({service})"), inspect.cleandoc(doc) if doc else ""


def _accepted(result: dict[str, Any]) -> CommandAccepted:
    tokens = tokens_of(result)
    return CommandAccepted.model_validate({**result, "consistency": tokens[0] if tokens else None})


def _accepted_response(accepted: CommandAccepted) -> Response:
    """The answer, serialised once here: returned as a model, FastAPI would validate it
    against the response model again before serialising it (the same bytes, twice the
    work)."""
    headers = {CONSISTENCY_HEADER: accepted.consistency} if accepted.consistency else None
    return Response(
        accepted.model_dump_json(),
        status_code=200 if accepted.duplicate else 201,
        headers=headers,
        media_type="application/json",
    )


# The generated routes are added to the application's own router, not included from one of
# their own: FastAPI matches an included router's routes twice per request (to choose it,
# then within it), each candidate with its scope bookkeeping, which was a third of the
# gateway's CPU per command with about a hundred routes (bench.gateway_cpu, issue #22). The
# routes, their order and the OpenAPI document are the same either way.
def add_command_routes(router: APIRouter, gateway: Gateway, prefix: str = "/v1") -> None:
    for service, models in gateway.commands.items():
        for model in models.values():
            _add_command(router, prefix, service, model)


def _add_command(router: APIRouter, prefix: str, service: str, model: type[Command]) -> None:
    name = model.__name__
    example = example_for(model)
    body_info = Body(
        openapi_examples={"minimal": {"summary": "Required fields only", "value": example}}
        if example is not None
        else None
    )

    async def endpoint(
        request: Request,
        body: Annotated[model, body_info],  # type: ignore[valid-type]
        principal: PrincipalDep,
        idempotency_key: Annotated[
            UUID,
            Header(
                alias="Idempotency-Key",
                description="A UUID the client makes once per intended change and reuses on "
                "every retry; it becomes the command_id, so a repeat appends nothing",
            ),
        ],
        club_id: Annotated[
            UUID | None,
            Query(description="The club you act for, when the body carries no club_id"),
        ] = None,
    ) -> Response:
        gateway = gateway_of(request)
        result = await gateway.execute(
            principal,
            service,
            model,
            body,
            idempotency_key,
            query_club=club_id,
            correlation_id=correlation_of(request),
        )
        return _accepted_response(_accepted(result))

    summary, description = _summary(model, "command", service)
    router.add_api_route(
        f"{prefix}/{service}/commands/{kebab(name)}",
        endpoint,
        methods=["POST"],
        summary=summary,
        description=description + f"\n\nSent to `{service}` as command `{name}`.",
        operation_id=f"{service}_{name}",
        tags=[service],
        status_code=201,
        response_model=CommandAccepted,
        responses={
            200: {
                "model": CommandAccepted,
                "description": "A repeat of an earlier command: its first result",
            },
            **problems.ERROR_RESPONSES,
        },
    )


def add_query_routes(router: APIRouter, gateway: Gateway, prefix: str = "/v1") -> None:
    for service, models in gateway.queries.items():
        for model in models.values():
            _add_query(router, prefix, service, model)


def _object_clubs(result: dict[str, Any]) -> set[UUID]:
    """The clubs an object read belongs to: `club_id` at the top or one level down (in a
    nested object or the items of a list, as a person's memberships), and the `clubs` a
    service lists for an object that belongs to several (a person)."""
    candidates: list[Any] = [result.get("club_id"), *(result.get("clubs") or [])]
    for value in result.values():
        items = value if isinstance(value, list) else [value]
        candidates += [item.get("club_id") for item in items if isinstance(item, dict)]
    clubs = set()
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            clubs.add(UUID(str(candidate)))
        except ValueError:
            continue
    return clubs


def _add_query(router: APIRouter, prefix: str, service: str, model: type[BaseModel]) -> None:
    name = model.__name__
    params_model: type[BaseModel] = create_model(
        f"{name}Params",
        __base__=model,
        consistency=(
            str | None,
            Field(
                default=None,
                description="A token from a command response: wait (bounded) until the read "
                "model reflects that write, else answer with stale=true",
            ),
        ),
    )
    has_club = "club_id" in model.model_fields

    async def endpoint(
        request: Request,
        response: Response,
        params: Annotated[params_model, Query()],
        principal: PrincipalDep,
        purpose_header: Annotated[
            str | None,
            Header(
                alias=PURPOSE_HEADER,
                max_length=100,
                description="Why you read this (a code of the `access_purposes` reference "
                f"list); recorded in the access audit. Default: `{default_purpose(service)}`",
            ),
        ] = None,
    ) -> QueryAnswer:
        gateway = gateway_of(request)
        if not gateway.policy.may_read(principal.role, service, name):
            raise problems.forbidden(f"role {principal.role.value} may not read {name}")
        purpose = access.purpose_of(purpose_header, service)
        values = params.model_dump(mode="json", exclude_unset=True, exclude={"consistency"})
        national = principal.role in NATIONAL_ROLES
        if has_club:
            club = getattr(params, "club_id", None)
            if club is None and not national:
                raise problems.invalid(
                    "name a club", "club_id", "your role reads one club at a time"
                )
            if club is not None and not in_scope(principal, club, gateway.directory):
                raise problems.not_found()
        stream_id, min_version = None, None
        token = getattr(params, "consistency", None)
        if token:
            stream_id, min_version = parse_consistency(token)
        envelope = QueryEnvelope(
            type=name,
            actor=Actor(user_id=principal.sub, role=principal.role.value),
            params=values,
            min_version=min_version,
            stream_id=stream_id,
        )
        timeout = gateway.settings.request_timeout_seconds
        if min_version is not None:
            timeout += gateway.settings.consistency_wait_seconds
        reply = await gateway.ask(service, envelope, timeout=timeout)
        if reply.problem is not None and reply.problem.status in (403, 404):
            # A service's scope refusal, or its own "no case X", must not tell an unknown id
            # from another club's: one answer for both, the one for an out-of-scope object.
            raise problems.not_found()
        if not reply.ok or reply.result is None:
            raise problems.ProblemError(
                reply.problem or problems.make("internal", 500, "no result")
            )
        result = reply.result
        if not has_club and not national:
            owners = _object_clubs(result)
            if not any(in_scope(principal, owner, gateway.directory) for owner in owners):
                raise problems.not_found()
        # Recorded before it is sent, or not sent (gateway.access).
        await access.audited(
            gateway.access_log,
            principal,
            f"{service}.{name}",
            purpose,
            result,
            correlation_of(request),
            gateway.clock.now(),
        )
        stale = bool(result.get("stale", False))
        response.headers[STALE_HEADER] = "true" if stale else "false"
        return QueryAnswer(data=result, stale=stale)

    summary, description = _summary(model, "query", service)
    router.add_api_route(
        f"{prefix}/{service}/queries/{kebab(name)}",
        endpoint,
        methods=["GET"],
        summary=summary,
        description=description + f"\n\nAsked of `{service}` as query `{name}`.",
        operation_id=f"{service}_{name}",
        tags=[service],
        response_model=QueryAnswer,
        responses=problems.ERROR_RESPONSES,
    )


# -- offline sync ------------------------------------------------------------------------


class SyncCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: UUID = Field(description="Made on the device when the action was taken")
    service: str = Field(examples=["care"])
    command: str = Field(
        description="Command name, kebab-case or as in the contracts", examples=["record-visit"]
    )
    payload: dict[str, Any]
    device_time: AwareDatetime = Field(description="When it happened on the device")
    club_id: UUID | None = Field(default=None, description="As `?club_id=` on a command")


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commands: list[SyncCommand] = Field(min_length=1)


SyncStatus = Literal["accepted", "duplicate", "rejected", "not_attempted"]


class SyncResult(BaseModel):
    idempotency_key: UUID
    device_time_clamped: bool = Field(
        default=False,
        description="The device's clock was before the programme's start or ahead of the "
        "server's: the command was sent with the nearest sane time instead (check the device)",
    )
    status: SyncStatus = Field(
        description="accepted: appended now; duplicate: done before (replay is harmless); "
        "rejected: see problem, fix or drop it; not_attempted: an earlier command could not "
        "reach its service, send the batch again later"
    )
    result: CommandAccepted | None = None
    problem: dict[str, Any] | None = None


class SyncResponse(BaseModel):
    results: list[SyncResult]


def sync_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post(
        "/sync",
        summary="Upload commands queued on a device while offline",
        description="Commands run in the order given, each under its own idempotency key: "
        "sending the same batch again changes nothing. A command refused by a rule does not "
        "stop the batch; a service that does not answer does (the rest are `not_attempted`).",
        tags=["sync"],
        operation_id="sync",
        response_model=SyncResponse,
        responses=problems.ERROR_RESPONSES,
    )
    async def sync(request: Request, batch: SyncRequest, principal: PrincipalDep) -> SyncResponse:
        gateway = gateway_of(request)
        limit = gateway.settings.sync_max_batch
        if len(batch.commands) > limit:
            raise problems.invalid(
                "batch too large", "commands", f"at most {limit} commands per batch"
            )
        lang = problems.language(request)
        results: list[SyncResult] = []
        halted = False
        for item in batch.commands:
            if halted:
                results.append(
                    SyncResult(idempotency_key=item.idempotency_key, status="not_attempted")
                )
                continue
            occurred, clamped = clamp_device_time(item.device_time, gateway.clock.now())
            if clamped:
                log.warning(
                    "sync.device_time_clamped",
                    user=principal.sub,
                    device_time=item.device_time.isoformat(),
                    used=occurred.isoformat(),
                )
            try:
                result = await _sync_one(
                    gateway, principal, item, occurred, correlation_of(request)
                )
            except problems.ProblemError as error:
                halted = error.problem.status == 503
                results.append(
                    SyncResult(
                        idempotency_key=item.idempotency_key,
                        device_time_clamped=clamped,
                        status="not_attempted" if halted else "rejected",
                        problem=problems.problem_body(error.problem, lang),
                    )
                )
                continue
            accepted = _accepted(result)
            results.append(
                SyncResult(
                    idempotency_key=item.idempotency_key,
                    device_time_clamped=clamped,
                    status="duplicate" if accepted.duplicate else "accepted",
                    result=accepted,
                )
            )
        return SyncResponse(results=results)

    return router


DEVICE_CLOCK_AHEAD = timedelta(minutes=5)
EARLIEST_DEVICE_TIME = datetime.combine(PROGRAMME_START, time.min, tzinfo=UTC)


def clamp_device_time(device_time: datetime, now: datetime) -> tuple[datetime, bool]:
    """`device_time` within [the programme's start, now + a few minutes], and whether it had
    to be moved: a phone whose battery died comes back in 1970, a wrong setting in 2099."""
    latest = now + DEVICE_CLOCK_AHEAD
    if device_time < EARLIEST_DEVICE_TIME:
        return EARLIEST_DEVICE_TIME, True
    if device_time > latest:
        return now, True
    return device_time, False


async def _sync_one(
    gateway: Gateway,
    principal: Principal,
    item: SyncCommand,
    occurred: datetime,
    correlation_id: UUID,
) -> dict[str, Any]:
    model = gateway.find_command(item.service, item.command)
    if model is None:
        raise problems.ProblemError(
            Problem(
                type="unknown-command",
                title="Unknown command",
                status=404,
                detail=f"{item.service} has no command {item.command!r}",
            )
        )
    try:
        payload = model.model_validate(item.payload)
    except ValidationError as error:
        raise problems.ProblemError(
            problems.make("validation", 422, f"{model.__name__} is not valid", errors=issues(error))
        ) from error
    return await gateway.execute(
        principal,
        item.service,
        model,
        payload,
        item.idempotency_key,
        query_club=item.club_id,
        occurred_at=occurred,
        correlation_id=correlation_id,
    )
