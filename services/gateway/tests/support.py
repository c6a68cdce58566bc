"""The gateway's test helpers: a fake bus, test command and query models, token minting.
Test support, not part of the deployed gateway (it uses the runtime's sample service)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import jwt
from pydantic import Field

from gateway.auth import Principal, Role, mint_hs256
from gateway.settings import GatewaySettings
from ishc_contracts import Command, CommandEnvelope, Query, QueryEnvelope, new_id
from ishc_contracts.errors import Reply
from ishc_contracts.operations import ProjectionSourceStatus
from ishc_contracts.reporting.queries import ReportBasis
from ishc_runtime.service.client import unavailable
from ishc_runtime.testing.sample_service import Balance, Deposit, OpenAccount

# Dev mode's HS256 key in tests (dev mode has no default key: each machine makes its own).
TEST_SECRET = "test-only-hs256-secret-0123456789abcdef0123456789"

CLUB_A = UUID("0193a000-0000-7000-8000-0000000000aa")
CLUB_B = UUID("0193a000-0000-7000-8000-0000000000bb")


class RecordThing(Command):
    """Record a thing in a club (a test command carrying its club)."""

    service: ClassVar[str] = "sample"
    club_id: UUID
    note: str = Field(min_length=1, max_length=50)


class ClubReport(Query):
    """Counts for one club."""

    service: ClassVar[str] = "sample"
    club_id: UUID


class ClubList(Query):
    """A club's people."""

    service: ClassVar[str] = "sample"
    club_id: UUID


EXTRA_COMMANDS = {"sample": (OpenAccount, Deposit, RecordThing)}
EXTRA_QUERIES = {"sample": (Balance, ClubReport, ClubList)}


def fake_report(envelope: QueryEnvelope) -> Reply:
    """Reporting's `Indicators` / `ExportIndicators` as a fake: one unit, the one asked for
    (else "VN"), none for `unit="empty"`; the file is that unit list as JSON."""
    params = envelope.params
    units: list[dict[str, Any]] = (
        []
        if params.get("unit") == "empty"
        else [
            {
                "unit": params.get("unit") or "VN",
                "name": "Việt Nam",
                "indicators": {"members": 3},
                "suppressed": [],
            }
        ]
    )
    if envelope.type == "ExportIndicators":
        return Reply.success(
            {
                "filename": f"ishc-indicators-{params.get('period')}.{params.get('format')}",
                "content_type": "application/octet-stream",
                "content_base64": base64.b64encode(json.dumps(units).encode()).decode(),
                "rows": len(units),
            }
        )
    return Reply.success(
        {
            "period": params.get("period"),
            "level": params.get("level"),
            "scheme": params.get("scheme"),
            "threshold": params.get("threshold"),
            "provinces": params.get("provinces"),
            "units": units,
        }
    )


def fake_clubs_over_time(envelope: QueryEnvelope) -> Reply:
    """Reporting's `ClubsOverTime` as a fake: n clubs in the n-th month asked."""
    months = envelope.params.get("months") or []
    return Reply.success(
        {"months": [{"month": m, "clubs_cumulative": n} for n, m in enumerate(months, 1)]}
    )


def report_basis(*, behind: int = 0, parked: int = 0) -> dict[str, Any]:
    """A reporting answer's `basis`: membership caught up; care `behind` events behind and
    with `parked` events set aside (complete only when both are 0)."""
    now = datetime.now(UTC)

    def source(projection: str, service: str, lag: int, held: int) -> ProjectionSourceStatus:
        return ProjectionSourceStatus(
            projection=projection,
            kind="projection",
            source=service,
            stream=service.upper(),
            policy="park",
            checkpoint=100,
            stream_last_seq=100 + lag,
            lag=lag,
            parked=held,
            blocking=0,
            state="behind" if lag else "caught up",
            updated_at=now,
        )

    sources = [
        source("reporting_membership", "membership", 0, 0),
        source("reporting_care", "care", behind, parked),
    ]
    return ReportBasis.of(now, sources).model_dump(mode="json")


class FakeBus:
    """Answers like a service with an idempotent command store, or not at all (`down`).
    Reporting's queries get `fake_report` / `fake_clubs_over_time`; other queries echo their
    parameters."""

    def __init__(self) -> None:
        self.connected = True
        self.down: set[str] = set()
        self.commands: list[tuple[str, CommandEnvelope]] = []
        self.queries: list[tuple[str, QueryEnvelope]] = []
        self.results: dict[UUID, dict[str, Any]] = {}
        self.command_replies: dict[str, Callable[[CommandEnvelope], Reply]] = {}
        self.query_replies: dict[str, Callable[[QueryEnvelope], Reply]] = {
            "Indicators": fake_report,
            "ExportIndicators": fake_report,
            "ClubsOverTime": fake_clubs_over_time,
        }

    def reset(self) -> None:
        """Forget every request, answer and override: a shared app starts each test afresh."""
        self.__init__()  # type: ignore[misc]

    @property
    def appended(self) -> int:
        return len(self.results)

    async def command(self, service: str, envelope: CommandEnvelope, timeout: float) -> Reply:
        self.commands.append((service, envelope))
        if service in self.down:
            return unavailable(service, "no responders")
        custom = self.command_replies.get(envelope.type)
        if custom is not None:
            return custom(envelope)
        previous = self.results.get(envelope.command_id)
        if previous is not None:
            return Reply.success({**previous, "duplicate": True})
        result = {
            "command_id": str(envelope.command_id),
            "streams": {f"thing-{envelope.command_id}": 1},
            "event_ids": [str(new_id())],
        }
        self.results[envelope.command_id] = result
        return Reply.success({**result, "duplicate": False})

    async def query(self, service: str, envelope: QueryEnvelope, timeout: float) -> Reply:
        self.queries.append((service, envelope))
        if service in self.down:
            return unavailable(service, "no responders")
        custom = self.query_replies.get(envelope.type)
        if custom is not None:
            return custom(envelope)
        return Reply.success({"echo": envelope.params, "stale": False})


def dev_settings(**overrides: Any) -> GatewaySettings:
    return GatewaySettings(
        **{
            "dev_mode": True,
            "jwt_hs256_secret": TEST_SECRET,
            "club_directory": False,
            "services": ("sample",),
            **overrides,
        }
    )


def token(
    role: Role | str = Role.CLUB_SECRETARY,
    clubs: tuple[UUID, ...] = (CLUB_A,),
    provinces: tuple[str, ...] = (),
    *,
    sub: str = "user-1",
    secret: str = TEST_SECRET,
    issuer: str = "ishc-dev",
    audience: str = "ishc-api",
    ttl: timedelta = timedelta(minutes=10),
    now: datetime | None = None,
) -> str:
    principal = Principal(
        sub=sub, role=Role(role), club_ids=frozenset(clubs), province_codes=frozenset(provinces)
    )
    return mint_hs256(secret, principal, issuer=issuer, audience=audience, ttl=ttl, now=now)


def raw_token(claims: dict[str, Any], key: Any, algorithm: str) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "user-1",
        "role": "club_secretary",
        "club_ids": [str(CLUB_A)],
        "iss": "ishc-dev",
        "aud": "ishc-api",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def auth(bearer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}"}


def command_headers(bearer: str, key: UUID | str | None = None) -> dict[str, str]:
    return {**auth(bearer), "Idempotency-Key": str(key or new_id())}


def jwks_document(public_key: Any, kid: str = "key-1") -> bytes:
    """The JWKS an identity provider would serve for `public_key` (RS256)."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return json.dumps({"keys": [jwk]}).encode()
