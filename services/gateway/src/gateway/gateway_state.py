"""What a running gateway holds: settings, the bus, the verifier, the policy, the directory,
and the catalogue of commands and queries it exposes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient
from pydantic import ValidationError

from gateway import problems
from gateway.access import AccessLog
from gateway.auth import CLUB_ROLES, NATIONAL_ROLES, Principal, TokenVerifier
from gateway.bus import Bus
from gateway.directory import ClubDirectory
from gateway.policy import Policy, in_scope
from gateway.settings import GatewaySettings
from gateway.throttle import Throttle
from ishc_contracts import Actor, Command, CommandEnvelope, Query, QueryEnvelope
from ishc_contracts.errors import FieldIssue, Problem, Reply
from ishc_runtime.clock import Clock, SystemClock
from ishc_runtime.service.client import unavailable

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_VERSION = re.compile(r"[0-9]{1,18}")


def kebab(name: str) -> str:
    """`PostRepayment` → `post-repayment`."""
    return _CAMEL.sub("-", name).lower()


def consistency_token(stream_id: str, version: int) -> str:
    return f"{stream_id}@{version}"


def parse_consistency(token: str) -> tuple[str, int]:
    stream_id, sep, version = token.rpartition("@")
    # ASCII digits within a bigint and no U+0000: what the services' read models can compare.
    if not sep or not stream_id or "\x00" in stream_id or not _VERSION.fullmatch(version):
        raise problems.invalid(
            "the consistency token is malformed",
            "consistency",
            "expected <stream_id>@<version> as returned by a command",
        )
    return stream_id, int(version)


def tokens_of(result: Mapping[str, Any]) -> list[str]:
    streams = result.get("streams")
    if not isinstance(streams, dict):
        return []
    return [
        consistency_token(str(stream), int(version))
        for stream, version in streams.items()
        if isinstance(version, int)
    ]


def issues(error: ValidationError, prefix: str = "") -> list[FieldIssue]:
    return [
        FieldIssue(
            field=prefix + (".".join(str(p) for p in e["loc"]) or "<body>"), message=e["msg"]
        )
        for e in error.errors(include_url=False, include_input=False)
    ]


@dataclass
class Gateway:
    settings: GatewaySettings
    verifier: TokenVerifier
    policy: Policy = field(default_factory=Policy)
    directory: ClubDirectory = field(default_factory=ClubDirectory)
    bus: Bus | None = None
    nc: NatsClient | None = None
    throttle: Throttle = field(default_factory=Throttle)
    # Only for device times (sync): nothing here decides a business fact from the clock.
    clock: Clock = field(default_factory=SystemClock)
    commands: dict[str, dict[str, type[Command]]] = field(default_factory=dict)
    queries: dict[str, dict[str, type[Query]]] = field(default_factory=dict)
    # The dashboard's CSRF key (settings.csrf_secret, else one for this process only).
    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # Where reads of personal data are recorded (gateway.access); None: such reads are refused.
    access_log: AccessLog | None = None

    def add_commands(self, service: str, models: Sequence[type[Command]]) -> None:
        for model in models:
            self.commands.setdefault(service, {})[model.__name__] = model

    def add_queries(self, service: str, models: Sequence[type[Query]]) -> None:
        for model in models:
            self.queries.setdefault(service, {})[model.__name__] = model

    def find_command(self, service: str, name: str) -> type[Command] | None:
        models = self.commands.get(service, {})
        if name in models:
            return models[name]
        return next((m for n, m in models.items() if kebab(n) == name), None)

    # -- the bus, never raising: a failure to reach a service is a 503 problem ------------

    async def _call(self, service: str, send: Callable[[Bus], Awaitable[Reply]]) -> Reply:
        bus = self.bus
        if bus is None or not bus.connected:
            return unavailable(service, "the gateway is not connected to the bus")
        try:
            return await send(bus)
        except Exception as error:  # a broken connection or a garbled reply: not our 500
            return unavailable(service, type(error).__name__)

    async def send(self, service: str, envelope: CommandEnvelope) -> Reply:
        timeout = self.settings.request_timeout_seconds
        return await self._call(service, lambda bus: bus.command(service, envelope, timeout))

    async def ask(
        self, service: str, envelope: QueryEnvelope, timeout: float | None = None
    ) -> Reply:
        wait = timeout or self.settings.request_timeout_seconds
        return await self._call(service, lambda bus: bus.query(service, envelope, wait))

    # -- commands ----------------------------------------------------------------------

    def acting_club(
        self, principal: Principal, model: type[Command], payload: Command, query_club: UUID | None
    ) -> UUID | None:
        payload_club = (
            getattr(payload, "club_id", None) if "club_id" in model.model_fields else None
        )
        if payload_club is not None and query_club is not None and payload_club != query_club:
            raise problems.invalid(
                "two different clubs named", "club_id", "the query club_id differs from the body's"
            )
        club = payload_club or query_club
        if club is None and principal.role in CLUB_ROLES and len(principal.club_ids) == 1:
            club = next(iter(principal.club_ids))
        if club is None and principal.role not in NATIONAL_ROLES:
            raise problems.invalid(
                "name the club you act for",
                "club_id",
                "this command carries no club_id: pass ?club_id=<your club>",
            )
        return club

    async def execute(
        self,
        principal: Principal,
        service: str,
        model: type[Command],
        payload: Command,
        command_id: UUID,
        *,
        query_club: UUID | None = None,
        occurred_at: Any = None,
        correlation_id: UUID | None = None,
    ) -> dict[str, Any]:
        """Authorise and send one command; its result, or a `ProblemError`."""
        name = model.__name__
        if not self.policy.may_send(principal.role, service, name):
            raise problems.forbidden(f"role {principal.role.value} may not send {name}")
        club = self.acting_club(principal, model, payload, query_club)
        if not in_scope(principal, club, self.directory):
            # The services answer an object of another club like an unknown one; so does the
            # edge for a club: what lies outside the caller's scope does not exist for them.
            detail = "no such thing in your scope"
            raise problems.ProblemError(
                problems.make(
                    "not-found", 404, detail, errors=[FieldIssue(field="club_id", message=detail)]
                )
            )
        extra: dict[str, Any] = {}
        if occurred_at is not None:
            extra["occurred_at"] = occurred_at
        if correlation_id is not None:
            extra["correlation_id"] = correlation_id
        envelope = CommandEnvelope(
            command_id=command_id,
            type=name,
            actor=Actor(user_id=principal.sub, role=principal.role.value),
            club_id=club,
            payload=payload.model_dump(mode="json"),
            **extra,
        )
        reply = await self.send(service, envelope)
        if not reply.ok or reply.result is None:
            raise problems.ProblemError(reply.problem or _no_problem())
        return reply.result


def _no_problem() -> Problem:
    return problems.make("internal", 500, "the service answered without a result")
