"""Gateway settings: `GATEWAY_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ishc_contracts.reporting.queries import SUPPRESSION_THRESHOLD
from ishc_runtime.privacy.transport import TransportKey, load_transport_key_file

# The HS256 secret earlier versions shipped as a default: public, so refused outright.
PUBLISHED_DEV_SECRETS = frozenset({"ishc-dev-only-secret-do-not-use-in-production-0123456789"})


class GatewaySettings(BaseSettings):
    """Production verifies RS256 tokens against `jwks_url`; dev mode signs and verifies HS256
    tokens with `jwt_hs256_secret` (its own, never a published one) and mounts
    `POST /v1/dev/tokens`. Dev mode never runs beside a JWKS: a deployment that trusts an
    identity provider must not also accept tokens anyone with the secret can mint."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    nats_inbox_prefix: str = Field(
        default="_INBOX_gateway",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Reply subjects start with this: the gateway's NATS user may subscribe to"
        " its own inboxes only",
    )
    dev_mode: bool = False
    jwt_hs256_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Dev mode's HS256 key: required with dev mode, 32+ characters, made per"
        " machine (`make run` writes one into .ishc/)",
    )
    jwks_url: str | None = Field(default=None, description="OIDC issuer's JWKS (RS256 keys)")
    jwt_issuer: str = "ishc-dev"
    jwt_audience: str = "ishc-api"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    max_token_lifetime_seconds: int = Field(
        default=12 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="Tokens whose exp - iat is longer are refused: a stolen token is worth"
        " little for long",
    )
    dev_token_ttl_seconds: int = Field(default=3600, ge=60, le=24 * 3600)
    request_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    report_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="How long an indicator report may take: reporting computes it when asked,"
        " and a national report over some 1,500 clubs takes seconds (bench/README.md)",
    )
    consistency_wait_seconds: float = Field(
        default=5.0, ge=0, le=30, description="Extra time a query with a consistency token gets"
    )
    cors_origins: tuple[str, ...] = Field(
        default=(), description="Browser origins allowed to call the API (none by default)"
    )
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Requests per user per minute (moving window, per gateway process); off if"
        " unset. deploy/ sets it",
    )
    max_concurrent_per_user: int | None = Field(
        default=None,
        ge=1,
        description="Requests of one user in progress at once (per gateway process); off if"
        " unset. deploy/ sets it",
    )
    report_threshold_floor: int = Field(
        default=SUPPRESSION_THRESHOLD,
        ge=2,
        le=100,
        description="The smallest suppression threshold anyone but a club's own roles may ask"
        " for: smaller counts are a person, not a statistic",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    sync_max_batch: int = Field(default=200, ge=1, le=1000)
    membership_stream: str = "MEMBERSHIP"
    club_directory: bool = Field(
        default=True, description="Follow membership club events for the club→province map"
    )
    ready_timeout_seconds: float = Field(default=1.0, gt=0)
    oidc_authorization_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="The identity provider's authorization endpoint: the dashboard's sign-in"
        " button sends the browser there (authorization code with PKCE)",
    )
    oidc_token_url: str | None = Field(
        default=None, pattern=r"^https?://", description="Where the code is exchanged"
    )
    oidc_client_id: str | None = Field(default=None, min_length=1)
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="For a confidential client (client_secret_post); none: public"
    )
    oidc_scope: str = Field(default="openid", min_length=1)
    oidc_redirect_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="This gateway's /app/login/callback as the provider knows it; default:"
        " built from the request, which behind a proxy needs uvicorn's --proxy-headers",
    )
    csrf_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Key of the dashboard's CSRF tokens. Every replica behind one load balancer"
        " needs the same, or a form served by one is refused by another; unset, each process"
        " makes its own (fine for one replica)",
    )
    services: tuple[str, ...] = ("membership", "finance", "care", "advocacy")
    declare_stream: bool = Field(
        default=True,
        description="Declare the access-audit stream (GATEWAY) at start; false in deployments,"
        " where `ishc streams declare` does it and the gateway only checks it (ADR 0030, 0053)",
    )
    transport_key: SecretStr | None = Field(
        default=None,
        description="Base64 key shared with the services: commands, queries and their replies"
        " (names, birth dates, vitals) travel sealed over NATS (docs/privacy.md)",
    )
    transport_key_file: Path | None = None
    create_key_files: bool = Field(default=False, description="Create a missing key file")

    def transport(self) -> TransportKey | None:
        if self.transport_key is not None:
            return TransportKey.from_text(self.transport_key.get_secret_value())
        if self.transport_key_file is not None:
            return load_transport_key_file(self.transport_key_file, create=self.create_key_files)
        return None

    @model_validator(mode="after")
    def _production_needs_jwks(self) -> GatewaySettings:
        if not self.dev_mode:
            if self.jwks_url is None:
                msg = "GATEWAY_JWKS_URL is required unless GATEWAY_DEV_MODE is on"
                raise ValueError(msg)
            return self
        if self.jwks_url is not None:
            msg = "GATEWAY_DEV_MODE never runs beside GATEWAY_JWKS_URL: a real deployment"
            msg += " accepts the identity provider's tokens only"
            raise ValueError(msg)
        secret = self.jwt_hs256_secret
        if secret is None:
            msg = "GATEWAY_DEV_MODE needs its own GATEWAY_JWT_HS256_SECRET (32+ characters)"
            raise ValueError(msg)
        if secret.get_secret_value() in PUBLISHED_DEV_SECRETS:
            msg = "GATEWAY_JWT_HS256_SECRET is a published value: make your own"
            raise ValueError(msg)
        if self.dev_token_ttl_seconds > self.max_token_lifetime_seconds:
            msg = "GATEWAY_DEV_TOKEN_TTL_SECONDS is above GATEWAY_MAX_TOKEN_LIFETIME_SECONDS"
            raise ValueError(msg)
        return self

    @property
    def hs256_secret(self) -> str | None:
        """The dev-mode key, in dev mode only."""
        if not self.dev_mode or self.jwt_hs256_secret is None:
            return None
        return self.jwt_hs256_secret.get_secret_value()

    @model_validator(mode="after")
    def _oidc_all_or_nothing(self) -> GatewaySettings:
        parts = {
            "GATEWAY_OIDC_AUTHORIZATION_URL": self.oidc_authorization_url,
            "GATEWAY_OIDC_TOKEN_URL": self.oidc_token_url,
            "GATEWAY_OIDC_CLIENT_ID": self.oidc_client_id,
        }
        missing = [name for name, value in parts.items() if not value]
        if 0 < len(missing) < len(parts):
            msg = f"dashboard sign-in through the identity provider also needs {', '.join(missing)}"
            raise ValueError(msg)
        return self

    @property
    def oidc_enabled(self) -> bool:
        return self.oidc_authorization_url is not None
