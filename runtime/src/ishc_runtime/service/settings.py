"""Settings every service shares; a service subclasses them with its own env prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ishc_runtime.leases import DEFAULT_TTL, default_instance_id
from ishc_runtime.privacy.master import LocalMasterKeys, load_key_file
from ishc_runtime.privacy.transport import TransportKey, load_transport_key_file


class ServiceSettings(BaseSettings):
    """`<SERVICE>_DATABASE_URL`, `<SERVICE>_NATS_URL`, ... (prefix set by each service)."""

    model_config = SettingsConfigDict(env_prefix="ISHC_", extra="ignore")

    database_url: str = Field(description="Postgres DSN of this service's own database")
    nats_url: str = "nats://127.0.0.1:4222"
    nats_inbox_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Reply subjects start with this (default `_INBOX_<service>`): the NATS"
        " permissions let each user subscribe to its own inboxes only, so no service can read"
        " another's replies",
    )
    stream_replicas: int = Field(default=1, ge=1, le=5)
    declare_stream: bool = Field(
        default=True,
        description="The relay creates or updates its stream at start; false in production,"
        " where `ishc streams declare` (the NATS ops user) does it and the relay only checks"
        " the stream exists as declared (docs/adr/0030)",
    )
    duplicate_window_seconds: float = Field(default=120.0, gt=0)
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    pool_max_size: int = Field(default=10, ge=2)
    request_concurrency: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Commands and queries handled at once by this instance (each kind);"
        " one at a time left the pool and the CPU idle while a request waited on Postgres",
    )
    log_json: bool = True
    log_level: str = "INFO"
    metrics_port: int | None = Field(default=None, description="Prometheus /metrics on 127.0.0.1")
    health_host: str = Field(default="127.0.0.1", description="0.0.0.0 inside a container")
    health_port: int | None = Field(
        default=None, description="/healthz, /readyz and /metrics; 0 picks a free port"
    )
    instance_id: str = Field(
        default_factory=default_instance_id,
        min_length=1,
        max_length=200,
        description="Names this process in the `leases` table, logs and /readyz (default"
        " host:pid:random); unique among the service's replicas",
    )
    lease_ttl_seconds: float = Field(
        default=DEFAULT_TTL,
        gt=0,
        le=300,
        description="A role (relay, scheduler, each projection source) whose holder stops"
        " renewing is taken over by another replica this long after its last renewal",
    )
    startup_backoff_max_seconds: float = Field(
        default=5.0,
        gt=0,
        description="At start-up, Postgres and NATS are retried with doubling pauses up to this",
    )
    projection_watch_seconds: float = Field(
        default=60,
        ge=0,
        description="How often this instance publishes its projections' lag and skipped"
        " (unaccounted) events as metrics; 0: never",
    )
    run_relay: bool = True
    run_projections: bool = True
    run_scheduler: bool = True
    master_keys: SecretStr | None = Field(
        default=None,
        description="Master key document (JSON, from a secret) wrapping this service's data"
        " keys; with it (or `master_keys_file`) personal data is sealed (docs/privacy.md)",
    )
    master_keys_file: Path | None = Field(
        default=None, description="A file holding the master key document (`make run`)"
    )
    create_key_files: bool = Field(
        default=False,
        description="Create missing key files (`make run` and tests); never in deployment,"
        " where a missing key must stop the service",
    )
    transport_key: SecretStr | None = Field(
        default=None,
        description="Base64 key shared with the gateway and the other services: commands,"
        " queries, replies and key grants travel sealed with it",
    )
    transport_key_file: Path | None = None

    def master_key_config(self) -> LocalMasterKeys | None:
        if self.master_keys is not None:
            return LocalMasterKeys.from_json(
                self.master_keys.get_secret_value(), where="the master_keys setting"
            )
        if self.master_keys_file is not None:
            return load_key_file(self.master_keys_file, create=self.create_key_files)
        return None

    def transport(self) -> TransportKey | None:
        if self.transport_key is not None:
            return TransportKey.from_text(self.transport_key.get_secret_value())
        if self.transport_key_file is not None:
            return load_transport_key_file(self.transport_key_file, create=self.create_key_files)
        return None
