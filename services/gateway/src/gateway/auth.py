"""Bearer JWT → `Principal`.

Production: RS256 only, keys from the issuer's JWKS (PyJWT `PyJWKClient`, cached, `kid`
rotation). Development: HS256 with a shared secret, tokens minted by `POST /v1/dev/tokens`.
Algorithms are pinned per key source, so `none` and HS256-signed-with-the-public-key are
refused; `exp`, `iat` and `sub` are required, `nbf`, `aud` and `iss` verified, with a leeway
of at most 60 s; a token whose lifetime (`exp - iat`) is above the configured maximum is
refused, whoever signed it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import jwt
from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.problems import unauthenticated
from gateway.settings import GatewaySettings


class Role(StrEnum):
    CLUB_SECRETARY = "club_secretary"
    BOARD = "board"
    VOLUNTEER = "volunteer"
    PROVINCIAL_OFFICER = "provincial_officer"
    NATIONAL_ADMIN = "national_admin"
    OPERATOR = "operator"


CLUB_ROLES = frozenset({Role.CLUB_SECRETARY, Role.BOARD, Role.VOLUNTEER})
NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.OPERATOR})


class Principal(BaseModel):
    """Who is calling, and where they may act."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1, max_length=200)
    role: Role
    club_ids: frozenset[UUID] = frozenset()
    province_codes: frozenset[str] = frozenset()
    volunteer_id: UUID | None = Field(
        default=None,
        description="The caller's volunteer record (claim `volunteer_id`), when they are one:"
        " the volunteer page then shows and records their own visits",
    )


KeyResolver = Callable[[str], Any]
"""Given the raw token, the verification key (runs in a thread: JWKS fetches block)."""


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        leeway: int,
        hs256_secret: str | None = None,
        rs256_keys: KeyResolver | None = None,
        max_lifetime: float = 12 * 3600,
    ) -> None:
        if leeway > 60:
            raise ValueError("leeway above 60 s")
        self.max_lifetime = max_lifetime
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.hs256_secret = hs256_secret
        self.rs256_keys = rs256_keys
        # Verified tokens, so a client's every request does not pay for a signature check:
        # token → (principal, good until). Until the token's own expiry, at most CACHE_SECONDS.
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> TokenVerifier:
        keys: KeyResolver | None = None
        if settings.jwks_url:
            client = jwt.PyJWKClient(settings.jwks_url, cache_keys=True, lifespan=300)
            keys = lambda token: client.get_signing_key_from_jwt(token).key  # noqa: E731
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            hs256_secret=settings.hs256_secret,
            rs256_keys=keys,
            max_lifetime=settings.max_token_lifetime_seconds,
        )

    CACHE_SECONDS = 300.0
    CACHE_SIZE = 10_000

    async def verify(self, token: str) -> Principal:
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None:
            if now < cached[1]:
                return cached[0]
            del self._verified[token]
        principal, expires = await self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, min(expires + self.leeway, now + self.CACHE_SECONDS))
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise unauthenticated("malformed bearer token") from error
        alg = header.get("alg")
        key: Any
        algorithms: Sequence[str]
        if alg == "RS256" and self.rs256_keys is not None:
            resolve = self.rs256_keys
            try:
                key = await asyncio.to_thread(resolve, token)
            except jwt.PyJWTError as error:
                raise unauthenticated("no signing key for this token") from error
            algorithms = ["RS256"]
        elif alg == "HS256" and self.hs256_secret is not None:
            key, algorithms = self.hs256_secret, ["HS256"]
        else:
            raise unauthenticated(f"token algorithm {alg!r} is not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise unauthenticated("token expired") from error
        except jwt.PyJWTError as error:
            raise unauthenticated(f"invalid token: {error}") from error
        lifetime = float(claims["exp"]) - float(claims["iat"])
        if lifetime > self.max_lifetime:
            raise unauthenticated(
                f"token lifetime {lifetime:.0f} s is above the maximum {self.max_lifetime:.0f} s"
            )
        return principal_from_claims(claims), float(claims["exp"])


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            sub=claims["sub"],
            role=claims.get("role"),
            club_ids=frozenset(claims.get("club_ids") or ()),
            province_codes=frozenset(claims.get("province_codes") or ()),
            volunteer_id=claims.get("volunteer_id"),
        )
    except (ValidationError, TypeError) as error:
        raise unauthenticated("token claims do not name a valid role and scope") from error


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("send 'Authorization: Bearer <token>'")
    return token.strip()


def mint_hs256(
    secret: str,
    principal: Principal,
    *,
    issuer: str,
    audience: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> str:
    """A development token (and the shape production tokens must have)."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": principal.sub,
        "role": principal.role.value,
        "club_ids": sorted(str(c) for c in principal.club_ids),
        "province_codes": sorted(principal.province_codes),
        **({"volunteer_id": str(principal.volunteer_id)} if principal.volunteer_id else {}),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "at+jwt"})


# Seeded demo users for development (the dev tokens endpoint). Fixed ids so a demo database
# and a front end agree on them.
DEMO_CLUB_A = UUID("0193a000-0000-7000-8000-00000000000a")
DEMO_CLUB_B = UUID("0193a000-0000-7000-8000-00000000000b")
DEMO_USERS: dict[str, Principal] = {
    "secretary-a": Principal(sub="secretary-a", role=Role.CLUB_SECRETARY, club_ids={DEMO_CLUB_A}),
    "board-a": Principal(sub="board-a", role=Role.BOARD, club_ids={DEMO_CLUB_A}),
    "volunteer-a": Principal(sub="volunteer-a", role=Role.VOLUNTEER, club_ids={DEMO_CLUB_A}),
    "secretary-b": Principal(sub="secretary-b", role=Role.CLUB_SECRETARY, club_ids={DEMO_CLUB_B}),
    "officer-hanoi": Principal(
        sub="officer-hanoi", role=Role.PROVINCIAL_OFFICER, province_codes={"01"}
    ),
    "admin": Principal(sub="admin", role=Role.NATIONAL_ADMIN),
    "operator": Principal(sub="operator", role=Role.OPERATOR),
}
