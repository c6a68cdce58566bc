"""`create_app(settings)`: the FastAPI application. Nothing happens at import; the lifespan
connects to NATS (unless a client or bus is handed in) and starts the club directory."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

import nats
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from nats.aio.client import Client as NatsClient
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import problems
from gateway.access import AccessLog, JetStreamAccessLog, MemoryAccessLog
from gateway.api import (
    CONSISTENCY_HEADER,
    CORRELATION_HEADER,
    STALE_HEADER,
    add_command_routes,
    add_query_routes,
    sync_router,
)
from gateway.auth import DEMO_USERS, Principal, Role, TokenVerifier, mint_hs256
from gateway.bus import Bus, NatsBus
from gateway.dashboard import install as install_dashboard
from gateway.docs import install_docs
from gateway.exact_routes import index_exact_routes
from gateway.gateway_state import Gateway
from gateway.live import live_router
from gateway.operations import operations_router
from gateway.policy import Policy
from gateway.reference import reference_router
from gateway.reports import reports_router
from gateway.settings import GatewaySettings
from gateway.throttle import Throttle
from gateway.tracing import TraceContext, telemetry
from ishc_contracts import SYSTEM_ACTOR, Command, Query, QueryEnvelope, new_id
from ishc_contracts.catalogue import SERVICE_COMMANDS
from ishc_contracts.errors import FieldIssue

log = structlog.get_logger(__name__)

REQUESTS = Counter(
    "ishc_gateway_requests_total",
    "HTTP requests by route and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "ishc_gateway_request_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def contract_queries() -> dict[str, tuple[type[Query], ...]]:
    """Each service's `ishc_contracts.<service>.queries.QUERIES`, where it exists yet."""
    found: dict[str, tuple[type[Query], ...]] = {}
    for service in SERVICE_COMMANDS:
        try:
            module = importlib.import_module(f"ishc_contracts.{service}.queries")
        except ImportError:
            continue
        models = getattr(module, "QUERIES", ())
        found[service] = tuple(m for m in models if isinstance(m, type) and issubclass(m, Query))
    return found


class CompressPages:
    """The dashboard's pages and assets sent gzip-compressed: on a slow phone line the bytes
    are most of the wait (a 25 KB page is half a second at 400 kbit/s). Their CSRF tokens are
    masked afresh in every response, so compression reveals nothing of them (BREACH). The
    API is left as it is: the dashboard calls it in-process, where compressing would only
    cost time, and API clients authenticate with a bearer token, not a cookie."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/app"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class BodyLimit:
    """413 for bodies above the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server reads no more than declared
            return
        # Streamed without a length: read it here, bounded, then hand it on.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = problems.make(
            "payload-too-large", 413, f"request bodies are limited to {self.max_bytes} bytes"
        )
        response = problems.problem_response(problem, Request(scope))
        await response(scope, receive, send)


class Edge:
    """Correlation id in, security headers and correlation id out, request metrics: plain
    ASGI (no per-request task as with `BaseHTTPMiddleware`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        sent = headers.get(CORRELATION_HEADER.lower().encode())
        correlation = _correlation(sent.decode("latin-1") if sent else None)
        scope.setdefault("state", {})["correlation_id"] = correlation
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                raw.append((CORRELATION_HEADER.lower().encode(), str(correlation).encode()))
                raw += [
                    (name.lower().encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                    if name.lower().encode() not in present
                ]
                message = {**message, "headers": raw}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            template = getattr(scope.get("route"), "path", "<unmatched>")
            method = scope.get("method", "")
            LATENCY.labels(method, template).observe(time.perf_counter() - started)
            REQUESTS.labels(method, template, str(status)).inc()


_DEMO_NAMES: list[JsonValue] = [*sorted(DEMO_USERS)]


class DevTokenRequest(BaseModel):
    """A demo user by name, or an explicit principal (development only)."""

    # The document says what the endpoint accepts: `user`, or `sub` with `role`.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["user"], "properties": {"user": {"type": "string"}}},
                {
                    "required": ["sub", "role"],
                    "properties": {"sub": {"type": "string"}, "role": {"type": "string"}},
                },
            ]
        }
    )

    user: str | None = Field(
        default=None, examples=sorted(DEMO_USERS), json_schema_extra={"enum": _DEMO_NAMES}
    )
    sub: str | None = Field(default=None, min_length=1)
    role: Role | None = None
    club_ids: list[UUID] = Field(default_factory=list)
    province_codes: list[str] = Field(default_factory=list)
    volunteer_id: UUID | None = None


class Readiness(BaseModel):
    status: Literal["ready", "not-ready"]
    checks: dict[str, Literal["ok", "down"]] = Field(
        description="`nats` and each service", examples=[{"nats": "ok", "care": "ok"}]
    )


class DevToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    principal: Principal


def create_app(
    settings: GatewaySettings,
    nc: NatsClient | None = None,
    *,
    bus: Bus | None = None,
    extra_commands: Mapping[str, Sequence[type[Command]]] | None = None,
    extra_queries: Mapping[str, Sequence[type[Query]]] | None = None,
    policy: Policy | None = None,
    verifier: TokenVerifier | None = None,
    access_log: AccessLog | None = None,
) -> FastAPI:
    """`access_log`: where reads of personal data are recorded; by default the JetStream
    stream GATEWAY when connected to NATS, in memory with a fake `bus` (tests)."""
    if access_log is None and bus is not None and nc is None:
        access_log = MemoryAccessLog()
    gateway = Gateway(
        settings=settings,
        verifier=verifier or TokenVerifier.from_settings(settings),
        policy=policy or Policy(),
        bus=bus,
        throttle=Throttle(settings.rate_limit_per_minute, settings.max_concurrent_per_user),
        access_log=access_log,
    )
    if settings.csrf_secret is not None:
        gateway.csrf_key = settings.csrf_secret.get_secret_value().encode()
    for service, commands in SERVICE_COMMANDS.items():
        gateway.add_commands(service, commands)
    for service, extra in (extra_commands or {}).items():
        gateway.add_commands(service, extra)
    for service, queries in contract_queries().items():
        gateway.add_queries(service, queries)
    for service, more in (extra_queries or {}).items():
        gateway.add_queries(service, more)
    services = settings.services  # what /readyz checks

    app = FastAPI(
        title="ISHC gateway",
        version="1.0.0",
        description="The HTTP edge of the Intergenerational Self-Help Club platform. "
        "Commands and queries of every service, authenticated (bearer JWT) and authorised by "
        "role and club scope. Errors are RFC 9457 problem+json.",
        lifespan=_lifespan(gateway, nc),
        telemetry=telemetry(),
        # Served from local assets by `install_docs` (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gateway
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(CompressPages)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", CORRELATION_HEADER],
            expose_headers=[CONSISTENCY_HEADER, STALE_HEADER, CORRELATION_HEADER, "Retry-After"],
        )
    _install_errors(app)
    app.add_middleware(Edge)
    app.add_middleware(TraceContext)  # outside Edge, which sets the correlation id
    _install_operations(app, gateway, services)
    if settings.dev_mode:
        _install_dev_tokens(app, settings)
    add_command_routes(app.router, gateway)
    add_query_routes(app.router, gateway)
    app.include_router(sync_router())
    app.include_router(live_router())
    app.include_router(operations_router())
    app.include_router(reports_router())
    app.include_router(reference_router())
    install_dashboard(app, settings)
    install_docs(app)
    index_exact_routes(app.router)
    return app


def _lifespan(gateway: Gateway, nc: NatsClient | None) -> Any:
    settings = gateway.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        client, owned = nc, False
        if gateway.bus is None:
            if client is None:
                client = await nats.connect(
                    settings.nats_url,
                    name="ishc-gateway",
                    max_reconnect_attempts=-1,
                    connect_timeout=5,
                    inbox_prefix=settings.nats_inbox_prefix,
                )
                owned = True
            gateway.bus = NatsBus(client, settings.transport())
        gateway.nc = client
        if gateway.access_log is None and client is not None:
            audit = JetStreamAccessLog(client, settings.request_timeout_seconds)
            await audit.ensure_stream(declare=settings.declare_stream)
            gateway.access_log = audit
        stopping = asyncio.Event()
        follower: asyncio.Task[None] | None = None
        if client is not None and settings.club_directory:
            follower = asyncio.create_task(
                gateway.directory.follow(client, settings.membership_stream, stopping)
            )
        try:
            yield
        finally:
            stopping.set()
            if follower is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(follower, timeout=5)
            if owned and client is not None:
                with contextlib.suppress(Exception):
                    await client.drain()

    return lifespan


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _correlation(header: str | None) -> UUID:
    if header:
        try:
            return UUID(header)
        except ValueError:
            pass
    return new_id()


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(problems.ProblemError)
    async def on_problem(request: Request, error: problems.ProblemError) -> JSONResponse:
        problem = error.problem
        if problem.status >= 500 and problem.status != 503:
            # Whatever a service said about its internals stays out of the response.
            problem = problems.make(
                "internal",
                problem.status,
                "the request could not be completed; it is safe to retry with the same key",
            )
        return problems.problem_response(problem, request, error.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        issues = []
        for e in error.errors():
            loc = [str(p) for p in e.get("loc", ())]
            where, path = (loc[0], loc[1:]) if loc else ("body", [])
            if where == "header":
                field = "Idempotency-Key" if path == ["Idempotency-Key"] else ".".join(path)
            elif where == "body" and e.get("type") != "json_invalid":
                field = ".".join(path) or "<body>"
            elif where == "body":
                field = "<body>"  # the rest of the location is a character position
            else:
                field = ".".join(path) or where
            issues.append(FieldIssue(field=field, message=str(e.get("msg", "invalid"))))
        problem = problems.make("validation", 422, "the request is not valid", errors=issues)
        return problems.problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's only 400: a body it could not read as UTF-8 JSON. Bad input, so 422.
            return problems.problem_response(problems.unreadable_body(), request)
        slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            error.status_code, "http-error"
        )
        detail = error.detail if isinstance(error.detail, str) else "request refused"
        return problems.problem_response(problems.make(slug, error.status_code, detail), request)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, error: Exception) -> JSONResponse:
        log.exception("gateway.crashed", path=request.url.path)
        return problems.problem_response(
            problems.make("internal", 500, "the request could not be completed"), request
        )


def _install_operations(app: FastAPI, gateway: Gateway, services: Sequence[str]) -> None:
    settings = gateway.settings

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: NATS and every service answer",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "NATS or a service is down"}},
    )
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        bus_ok = gateway.bus is not None and gateway.bus.connected
        checks["nats"] = "ok" if bus_ok else "down"

        async def probe(service: str) -> tuple[str, str]:
            # Any answer, even "unknown query", proves a responder is there.
            envelope = QueryEnvelope(type="ReadinessProbe", actor=SYSTEM_ACTOR)
            reply = await gateway.ask(service, envelope, timeout=settings.ready_timeout_seconds)
            down = not reply.ok and reply.problem is not None and reply.problem.status == 503
            return service, "down" if down else "ok"

        if bus_ok:
            checks.update(await asyncio.gather(*(probe(s) for s in services)))
        ready = all(v == "ok" for v in checks.values()) and bus_ok
        return JSONResponse(
            {"status": "ready" if ready else "not-ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,  # documents text/plain, the exposition format
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _install_dev_tokens(app: FastAPI, settings: GatewaySettings) -> None:

    @app.post(
        "/v1/dev/tokens",
        tags=["development"],
        summary="DEV ONLY: issue an HS256 token for a demo user",
        description="Exists only when GATEWAY_DEV_MODE is on. Demo users: "
        + ", ".join(sorted(DEMO_USERS)),
        response_model=DevToken,
        responses=problems.ERROR_RESPONSES,
    )
    async def dev_token(body: DevTokenRequest) -> DevToken:
        if body.user is not None:
            principal = DEMO_USERS.get(body.user)
            if principal is None:
                raise problems.invalid("unknown demo user", "user", "not a demo user")
        elif body.sub and body.role:
            principal = Principal(
                sub=body.sub,
                role=body.role,
                club_ids=frozenset(body.club_ids),
                province_codes=frozenset(body.province_codes),
                volunteer_id=body.volunteer_id,
            )
        else:
            raise problems.invalid("name a demo user", "user", "give user, or sub and role")
        ttl = settings.dev_token_ttl_seconds
        secret = settings.hs256_secret
        if secret is None:  # pragma: no cover - the route exists in dev mode only
            raise problems.forbidden("development tokens exist in dev mode only")
        token = mint_hs256(
            secret,
            principal,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(seconds=ttl),
        )
        return DevToken(access_token=token, expires_in=ttl, principal=principal)
