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
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, Field, ValidationError

from gateway import problems
from gateway.api import PrincipalDep, gateway_of
from gateway.auth import Principal, Role
from gateway.gateway_state import Gateway
from gateway.settings import GatewaySettings
from ishc_contracts import Actor, CommandEnvelope, QueryEnvelope, new_id
from ishc_contracts.audit import AccessReport
from ishc_contracts.operations import (
    DISCARD_PARKED,
    LAG_HISTORY,
    PARKED_EVENTS,
    PROJECTION_STATUS,
    REDRIVE_PARKED,
    DiscardParked,
    LagHistoryAnswer,
    LagSample,
    ParkedEvent,
    ParkedEventsAnswer,
    ParkedResolved,
    ProjectionSourceStatus,
    ProjectionStatusAnswer,
    RedriveParked,
    TimerStatus,
)
from ishc_contracts.privacy import ERASE_SUBJECT, EraseSubject, SubjectErased
from ishc_contracts.text import RefusesNul
from ishc_contracts.values import ShortText

OPERATOR_ROLES = frozenset({Role.OPERATOR, Role.NATIONAL_ADMIN})
# Reporting answers no public command and may be left out of readiness, yet it runs the
# most projections: operators always see it.
ALWAYS_OPERATED = ("reporting",)

A = TypeVar("A", bound=BaseModel)
# Requests are shared among a service's instances by a queue group, and only the instance
# leading a projection may redrive into it: an answer "led elsewhere" is asked again, and
# each try lands on an instance at random (with three instances, 16 tries all miss the
# leader about once in 650 redrives; the operator is then told to try again).
REDRIVE_TRIES = 16


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


class ServiceLag(BaseModel):
    service: str
    available: bool = Field(description="false: the service did not answer; see `problem`")
    problem: str | None = Field(default=None, description="Why it is unavailable")
    samples: list[LagSample] = Field(default_factory=list)


class LagOverview(BaseModel):
    minutes: int
    services: list[ServiceLag]


class DiscardRequest(RefusesNul):
    reason: str = Field(
        min_length=3,
        max_length=500,
        description="Why the event may be dropped: kept with it, with who discarded it",
        examples=["test event sent to production by mistake"],
    )


class ErasureRequest(RefusesNul):
    """Bounded and checked as `EraseSubject` is, so what passes here is a valid command."""

    reason: ShortText = Field(examples=["request of the person"])
    legal_basis: ShortText = Field(examples=["Law 91/2025/QH15 art. 14"])


class ServiceErasure(BaseModel):
    service: str
    done: bool
    keys_destroyed: int = 0
    problem: str | None = Field(default=None, description="Why not done: repeat the request")


class ErasureReport(BaseModel):
    person_id: UUID
    complete: bool = Field(description="false: some service did not erase; repeat the request")
    services: list[ServiceErasure]


class AccessRead(BaseModel):
    """One read of the person's personal data: ids, names and codes, never a value."""

    access_id: UUID
    read_at: datetime
    principal_id: str
    role: str
    route: str = Field(examples=["membership.ClubRoster"])
    purpose: str = Field(description="A code of the `access_purposes` reference list")
    field_names: list[str]
    categories: list[str]
    correlation_id: UUID | None = None


class OperatorReveal(BaseModel):
    revealed_at: datetime
    operator: str
    target: str


class ServiceGrant(BaseModel):
    reader: str = Field(description="The service handed the key (e.g. advocacy)")
    category: str
    subject: str = Field(description="The stream whose key it was")
    first_served_at: datetime
    last_served_at: datetime
    times: int = Field(description="Handovers (a reader keeps a key up to 30 s between them)")


class AccessAudit(BaseModel):
    """Who was shown a person's personal data, which fields, when and why (newest first)."""

    person_id: UUID
    subject_ids: list[UUID] = Field(description="The person's id and member ids looked for")
    reads: list[AccessRead]
    truncated: bool = Field(description="More reads than `limit`: narrow with since/until")
    operator_reveals: list[OperatorReveal] = Field(
        default_factory=list,
        description="Operators who unmasked the person's data in membership's store (`ishc "
        "events show --reveal`); other services keep theirs in their own `privacy_reveals`",
    )
    service_grants: list[ServiceGrant] = Field(
        default_factory=list,
        description="Other services handed the keys of the person's data under their grants "
        "(ADR 0052): processing by a service, not a disclosure to a person",
    )


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


async def _settle_parked(
    request: Request,
    principal: Principal,
    service: str,
    kind: str,
    payload: RedriveParked | DiscardParked,
    idempotency_key: UUID | None,
) -> ParkedResolved:
    """An operator's redrive or discard of one parked event, sent to its service."""
    _authorise(principal)
    gateway = gateway_of(request)
    chosen = _chosen(gateway, service)[0]
    return await _settle(gateway, principal, chosen, kind, payload, idempotency_key or new_id())


async def _settle(
    gateway: Gateway,
    principal: Principal,
    service: str,
    kind: str,
    payload: BaseModel,
    command_id: UUID,
) -> ParkedResolved:
    """Send a dead-letter command to `service` and read its answer; its problems pass on."""
    envelope = CommandEnvelope(
        command_id=command_id,
        type=kind,
        actor=Actor(user_id=principal.sub, role=principal.role.value),
        payload=payload.model_dump(mode="json"),
    )
    for _ in range(REDRIVE_TRIES):
        reply = await gateway.send(service, envelope)
        led_elsewhere = reply.problem is not None and reply.problem.type.endswith(
            "projection-led-elsewhere"
        )
        if not led_elsewhere:
            break
    if not reply.ok or reply.result is None:
        problem = reply.problem or problems.make("internal", 500, "no result")
        headers = {"Retry-After": "2"} if problem.status in (409, 503) else None
        raise problems.ProblemError(problem, headers=headers)
    return ParkedResolved.model_validate(reply.result)


ParkedPath = Annotated[int, Path(ge=1, le=2**62, description="The dead letter's id (`/parked`)")]
ServicePath = Annotated[
    str, Path(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40, description="Its service")
]


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
        "payload. Roles: operator, national_admin. Redrive or discard one with "
        "`POST /v1/ops/parked/{service}/{id}/redrive` or `/discard` (or the `ishc dlq` "
        "commands).",
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
        parked_id: Annotated[
            int | None, Query(ge=1, le=2**62, description="Only this dead letter (with `service`)")
        ] = None,
    ) -> ParkedOverview:
        _authorise(principal)
        gateway = gateway_of(request)
        params: dict[str, Any] = {"include_resolved": include_resolved, "limit": limit}
        if projection:
            params["projection"] = projection
        if parked_id is not None:
            params["parked_id"] = parked_id
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

    @router.get(
        "/lag",
        summary="Each projection's lag over the last minutes (operators)",
        description="One sample a minute per projection and source, recorded by the services' "
        "own instances in their databases (the largest lag any instance saw that minute), so "
        "the history survives restarts of services and gateways. Roles: operator, "
        "national_admin. A service that does not answer is listed with `available: false`.",
        operation_id="ops_lag",
        response_model=LagOverview,
        responses=responses,
    )
    async def lag(
        request: Request,
        principal: PrincipalDep,
        service: ServiceParam = None,
        projection: ProjectionParam = None,
        minutes: Annotated[int, Query(ge=5, le=1440, description="How far back")] = 60,
    ) -> LagOverview:
        _authorise(principal)
        gateway = gateway_of(request)
        params: dict[str, Any] = {"minutes": minutes}
        if projection:
            params["projection"] = projection
        answers = await _ask_each(
            gateway, principal, _chosen(gateway, service), LAG_HISTORY, params, LagHistoryAnswer
        )
        return LagOverview(
            minutes=minutes,
            services=[
                ServiceLag(service=name, available=True, samples=a.samples)
                if isinstance(a, LagHistoryAnswer)
                else ServiceLag(service=name, available=False, problem=a)
                for name, a in answers
            ],
        )

    settle_responses: dict[int | str, dict[str, Any]] = dict(responses)
    settle_responses.update(
        {
            status: problems.ERROR_RESPONSES[status]
            for status in (404, 409, 503)
            if status in problems.ERROR_RESPONSES
        }
    )

    @router.post(
        "/parked/{service}/{parked_id}/redrive",
        summary="Apply one parked event again (operators)",
        description="The owning service applies the dead letter through its projection, "
        "fenced by the projection's lease like a normal batch, and records who asked. "
        "Problems: `parked-not-found` (404), `parked-blocking` (409: it blocks a stopped "
        "projection, which applies it itself once the handler is fixed), `redrive-failed` "
        "(409: it failed again and stays parked), `projection-led-elsewhere` (409: ask "
        "again). A repeat answers the earlier outcome with `already: true`. Roles: operator, "
        "national_admin.",
        operation_id="ops_redrive_parked",
        response_model=ParkedResolved,
        responses=settle_responses,
    )
    async def redrive(
        request: Request,
        principal: PrincipalDep,
        service: ServicePath,
        parked_id: ParkedPath,
        idempotency_key: Annotated[UUID | None, Header(alias="Idempotency-Key")] = None,
    ) -> ParkedResolved:
        payload = RedriveParked(parked_id=parked_id)
        return await _settle_parked(
            request, principal, service, REDRIVE_PARKED, payload, idempotency_key
        )

    @router.post(
        "/parked/{service}/{parked_id}/discard",
        summary="Discard one parked event, saying why (operators)",
        description="The owning service settles the dead letter without applying it and "
        "records who discarded it and the reason given (required). A blocking one is refused "
        "(`parked-blocking`, 409). A repeat answers the earlier outcome with `already: true`. "
        "Roles: operator, national_admin.",
        operation_id="ops_discard_parked",
        response_model=ParkedResolved,
        responses=settle_responses,
    )
    async def discard(
        request: Request,
        principal: PrincipalDep,
        service: ServicePath,
        parked_id: ParkedPath,
        body: DiscardRequest,
        idempotency_key: Annotated[UUID | None, Header(alias="Idempotency-Key")] = None,
    ) -> ParkedResolved:
        payload = DiscardParked(parked_id=parked_id, reason=body.reason)
        return await _settle_parked(
            request, principal, service, DISCARD_PARKED, payload, idempotency_key
        )

    _subject_routes(router, responses)

    return router


def _subject_routes(router: APIRouter, responses: dict[int | str, dict[str, Any]]) -> None:
    """A data subject's rights: erasure and the access report (national admin)."""

    @router.post(
        "/subjects/{person_id}/erase",
        summary="Erase a person's personal data in every service (national admins)",
        description="Right to deletion (Law 91/2025/QH15): every service destroys the data "
        "keys of the person's streams (crypto-shredding). Events stay with their ids, dates "
        "and amounts, so counts are kept; names, birth dates, contact, health and "
        "disability data read as `[erased]` everywhere from then on. The person's member ids "
        "are found in membership. Role: national_admin; the reason and the legal basis are "
        "recorded in each service. Repeating the request with the same Idempotency-Key does "
        "nothing more.",
        operation_id="ops_erase_subject",
        response_model=ErasureReport,
        responses=responses,
    )
    async def erase(
        request: Request,
        principal: PrincipalDep,
        person_id: UUID,
        body: ErasureRequest,
        idempotency_key: Annotated[UUID | None, Header(alias="Idempotency-Key")] = None,
    ) -> ErasureReport:
        if principal.role is not Role.NATIONAL_ADMIN:
            raise problems.forbidden("only a national admin may erase a person's data")
        gateway = gateway_of(request)
        actor = Actor(user_id=principal.sub, role=principal.role.value)
        profile = await gateway.ask(
            "membership",
            QueryEnvelope(type="PersonProfile", actor=actor, params={"person_id": str(person_id)}),
        )
        if not profile.ok and (profile.problem is None or profile.problem.status != 404):
            # Without the person's member ids, member-keyed data would survive an erasure
            # reported complete: ask again later rather than erase in part.
            raise problems.ProblemError(
                problems.make(
                    "service-unavailable",
                    503,
                    "membership did not answer who the person is; nothing was erased",
                ),
                headers={"Retry-After": "5"},
            )
        member_ids = (
            [m["member_id"] for m in profile.result.get("memberships", [])]
            if profile.ok and profile.result
            else []
        )
        command_id = idempotency_key or new_id()
        payload = EraseSubject(
            person_id=person_id,
            other_ids=tuple(UUID(str(m)) for m in member_ids),
            reason=body.reason,
            legal_basis=body.legal_basis,
        )

        async def one(service: str) -> ServiceErasure:
            envelope = CommandEnvelope(
                command_id=command_id,
                type=ERASE_SUBJECT,
                actor=actor,
                payload=payload.model_dump(mode="json"),
            )
            reply = await gateway.send(service, envelope)
            if reply.ok and reply.result is not None:
                done = SubjectErased.model_validate(reply.result)
                return ServiceErasure(
                    service=service, done=True, keys_destroyed=done.keys_destroyed
                )
            problem = reply.problem.detail if reply.problem else "no answer"
            return ServiceErasure(service=service, done=False, problem=problem)

        services = operated_services(gateway.settings)
        results = list(await asyncio.gather(*(one(s) for s in services)))
        return ErasureReport(
            person_id=person_id, complete=all(r.done for r in results), services=results
        )

    @router.get(
        "/subjects/{person_id}/access",
        summary="Who read a person's personal data (national admins)",
        description="The access audit of one person: every read through the gateway that "
        "showed their personal data, with who (user id and role), what (the route, field "
        "names and categories), when and why (the purpose). Also the data subject's access "
        "report (`ishc subjects access-report`). Role: national_admin. Records arrive from the "
        "gateways' stream within moments of the read.",
        operation_id="ops_subject_access",
        response_model=AccessAudit,
        responses=responses,
    )
    async def subject_access(
        request: Request,
        principal: PrincipalDep,
        person_id: UUID,
        since: Annotated[date | None, Query(description="From this day (Viet Nam)")] = None,
        until: Annotated[date | None, Query(description="To this day, included")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> AccessAudit:
        if principal.role is not Role.NATIONAL_ADMIN:
            raise problems.forbidden("only a national admin may read the access audit")
        gateway = gateway_of(request)
        params = AccessReport(person_id=person_id, since=since, until=until, limit=limit)
        reply = await gateway.ask(
            AccessReport.service,
            QueryEnvelope(
                type=AccessReport.__name__,
                actor=Actor(user_id=principal.sub, role=principal.role.value),
                params=params.model_dump(mode="json", exclude_none=True),
            ),
        )
        if not reply.ok or reply.result is None:
            raise problems.ProblemError(
                reply.problem or problems.make("internal", 500, "no result")
            )
        return AccessAudit.model_validate(reply.result)
