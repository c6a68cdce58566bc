"""Operator routes: how every service's projections stand, and their dead letters.

The gateway has no database: it asks the built-in `ProjectionStatus` and `ParkedEvents`
queries every service answers (`ishc_runtime.service.operations`) and gathers the answers.
Operators and national admins only. Answers hold positions, counts and reasons, never an
event's payload. A service that does not answer is reported as unavailable beside the others
rather than failing the whole screen.

No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
"""

import asyncio
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, ValidationError

from gateway import problems
from gateway.api import PrincipalDep, gateway_of
from gateway.auth import Principal, Role
from gateway.gateway_state import Gateway
from gateway.settings import GatewaySettings
from ishc_contracts import Actor, QueryEnvelope
from ishc_contracts.operations import (
    PARKED_EVENTS,
    PROJECTION_STATUS,
    ParkedEvent,
    ParkedEventsAnswer,
    ProjectionSourceStatus,
    ProjectionStatusAnswer,
    TimerStatus,
)

OPERATOR_ROLES = frozenset({Role.OPERATOR, Role.NATIONAL_ADMIN})
# Reporting answers no public command and may be left out of readiness, yet it runs the
# most projections: operators always see it.
ALWAYS_OPERATED = ("reporting",)

A = TypeVar("A", bound=BaseModel)


class ServiceProjections(BaseModel):
    service: str
    available: bool = Field(description="false: the service did not answer; see `problem`")
    problem: str | None = Field(default=None, description="Why it is unavailable")
    projections: list[ProjectionSourceStatus] = Field(default_factory=list)
    timers: TimerStatus | None = Field(
        default=None,
        description="Scheduled work: timers pending and already due (lag) by kind, with their "
        "due times; `behind` while any is due",
    )


class ProjectionsOverview(BaseModel):
    services: list[ServiceProjections]


class ServiceParked(BaseModel):
    service: str
    available: bool = Field(description="false: the service did not answer; see `problem`")
    problem: str | None = Field(default=None, description="Why it is unavailable")
    parked: list[ParkedEvent] = Field(default_factory=list)
    truncated: bool = Field(default=False, description="More matched than `limit`")


class ParkedOverview(BaseModel):
    services: list[ServiceParked]


def operated_services(settings: GatewaySettings) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*settings.services, *ALWAYS_OPERATED]))


ServiceParam = Annotated[
    str | None,
    Query(
        description="One service (default: every service)",
        pattern=r"^[a-z][a-z0-9_-]*$",
        max_length=40,
        examples=["finance"],
    ),
]
ProjectionParam = Annotated[
    str | None,
    Query(
        description="One projection (default: all)",
        pattern=r"^[A-Za-z0-9_]+$",
        max_length=100,
        examples=["finance_loans"],
    ),
]


def _authorise(principal: Principal) -> None:
    if principal.role not in OPERATOR_ROLES:
        raise problems.forbidden(
            f"role {principal.role.value} may not see operations; operators and national"
            " admins only"
        )


def _chosen(gateway: Gateway, service: str | None) -> Sequence[str]:
    known = operated_services(gateway.settings)
    if service is None:
        return known
    if service not in known:
        raise problems.invalid("unknown service", "service", f"expected one of: {', '.join(known)}")
    return (service,)


async def _ask_each(
    gateway: Gateway,
    principal: Principal,
    services: Sequence[str],
    query: str,
    params: dict[str, Any],
    answer: type[A],
) -> list[tuple[str, A | str]]:
    """Each service's parsed answer, or why it has none; other failures are raised."""

    async def one(service: str) -> tuple[str, A | str]:
        envelope = QueryEnvelope(
            type=query,
            actor=Actor(user_id=principal.sub, role=principal.role.value),
            params=params,
        )
        reply = await gateway.ask(service, envelope)
        if reply.problem is not None and reply.problem.status in (404, 503):
            # 404: a service of an older version that has no built-in query yet.
            return service, reply.problem.detail
        if not reply.ok or reply.result is None:
            raise problems.ProblemError(
                reply.problem or problems.make("internal", 500, "no result")
            )
        try:
            return service, answer.model_validate(reply.result)
        except ValidationError:
            return service, "the service's answer is not in the expected shape"

    return list(await asyncio.gather(*(one(s) for s in services)))


def operations_router() -> APIRouter:
    router = APIRouter(prefix="/v1/ops", tags=["operations"])
    responses: dict[int | str, dict[str, Any]] = {
        status: problems.ERROR_RESPONSES[status]
        for status in (401, 403, 422, 429)
        if status in problems.ERROR_RESPONSES
    }

    @router.get(
        "/projections",
        summary="Projection status of every service (operators)",
        description="Per service, projection and source stream: checkpoint, the stream's last "
        "sequence, lag, state (`caught up`, `behind`, `stopped` on a poison event, "
        "`rebuilding`, `no stream`) and open dead letters; and the service's timers pending "
        "and due (scheduled work still owed, with due times). Roles: operator, national_admin. "
        "A service that does not answer is listed with `available: false`.",
        operation_id="ops_projections",
        response_model=ProjectionsOverview,
        responses=responses,
    )
    async def projections(
        request: Request,
        principal: PrincipalDep,
        service: ServiceParam = None,
        projection: ProjectionParam = None,
    ) -> ProjectionsOverview:
        _authorise(principal)
        gateway = gateway_of(request)
        params = {"projection": projection} if projection else {}
        answers = await _ask_each(
            gateway,
            principal,
            _chosen(gateway, service),
            PROJECTION_STATUS,
            params,
            ProjectionStatusAnswer,
        )
        return ProjectionsOverview(
            services=[
                ServiceProjections(
                    service=name, available=True, projections=a.projections, timers=a.timers
                )
                if isinstance(a, ProjectionStatusAnswer)
                else ServiceProjections(service=name, available=False, problem=a)
                for name, a in answers
            ]
        )

    @router.get(
        "/parked",
        summary="Parked events (dead letters) of every service (operators)",
        description="Events a projection set aside (`parked`) or is stopped on (`blocking`), "
        "in stream order: projection, stream, sequence, event type, reason, when. Never the "
        "payload. Roles: operator, national_admin. Redrive and discard with the `ishc dlq` "
        "commands.",
        operation_id="ops_parked",
        response_model=ParkedOverview,
        responses=responses,
    )
    async def parked(
        request: Request,
        principal: PrincipalDep,
        service: ServiceParam = None,
        projection: ProjectionParam = None,
        include_resolved: Annotated[
            bool, Query(description="Also the redriven, discarded and rebuilt ones")
        ] = False,
        limit: Annotated[int, Query(ge=1, le=1000, description="Per service")] = 200,
    ) -> ParkedOverview:
        _authorise(principal)
        gateway = gateway_of(request)
        params: dict[str, Any] = {"include_resolved": include_resolved, "limit": limit}
        if projection:
            params["projection"] = projection
        answers = await _ask_each(
            gateway, principal, _chosen(gateway, service), PARKED_EVENTS, params, ParkedEventsAnswer
        )
        return ParkedOverview(
            services=[
                ServiceParked(service=name, available=True, parked=a.parked, truncated=a.truncated)
                if isinstance(a, ParkedEventsAnswer)
                else ServiceParked(service=name, available=False, problem=a)
                for name, a in answers
            ]
        )

    return router
