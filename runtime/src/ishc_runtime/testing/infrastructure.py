"""Find or start the Postgres and NATS a test session runs against.

Order (DESIGN.md section 9, reliability.md section 3), decided per service:

1. a URL in the environment (``ISHC_TEST_DATABASE_URL``, ``ISHC_TEST_NATS_URL``);
2. testcontainers, when a Docker engine answers a ping;
3. the embedded wheels, started in a temporary directory.

``ISHC_TEST_BACKEND`` (``auto``, ``testcontainers`` or ``embedded``) can pin step 2/3,
e.g. ``embedded`` to skip the Docker probe. A backend that cannot start raises: a test
suite that silently skips would turn the reliability suite into "ran no test".

The choice is the pure function :func:`choose_backends`, so its ordering is unit-tested
without starting anything.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ishc_runtime.infra import EmbeddedNats, EmbeddedPostgres, assert_sync_always

DATABASE_URL_ENV = "ISHC_TEST_DATABASE_URL"
NATS_URL_ENV = "ISHC_TEST_NATS_URL"
BACKEND_ENV = "ISHC_TEST_BACKEND"

POSTGRES_IMAGE = "postgres:18"
NATS_IMAGE = "nats:2.12"


class Backend(StrEnum):
    """Where one piece of infrastructure comes from."""

    ENVIRONMENT = "environment"
    TESTCONTAINERS = "testcontainers"
    EMBEDDED = "embedded"


@dataclass(frozen=True)
class BackendChoice:
    """The backend chosen for each service."""

    postgres: Backend
    nats: Backend


@dataclass(frozen=True)
class Infrastructure:
    """What tests connect to. ``postgres_dsn`` is an admin DSN to the ``postgres`` database."""

    postgres_dsn: str
    nats_url: str
    postgres_backend: Backend
    nats_backend: Backend
    nats_monitor_url: str | None = None
    postgres_started_in: float | None = None
    nats_started_in: float | None = None

    def describe(self) -> str:
        """One line for the terminal: backends, endpoints (passwords hidden), start-up times."""
        return (
            f"postgres={self.postgres_backend} {redact(self.postgres_dsn)}"
            f"{_timing(self.postgres_started_in)}; "
            f"nats={self.nats_backend} {redact(self.nats_url)}{_timing(self.nats_started_in)}"
        )


def _timing(seconds: float | None) -> str:
    return "" if seconds is None else f" (started in {seconds:.2f}s)"


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def choose_backends(env: Mapping[str, str], docker_available: Callable[[], bool]) -> BackendChoice:
    """Decide each service's backend; ``docker_available`` is called at most once, if needed."""
    fallback: Backend | None = None

    def fallback_backend() -> Backend:
        nonlocal fallback
        if fallback is None:
            fallback = _fallback(env, docker_available)
        return fallback

    def pick(url_variable: str) -> Backend:
        if env.get(url_variable, "").strip():
            return Backend.ENVIRONMENT
        return fallback_backend()

    return BackendChoice(postgres=pick(DATABASE_URL_ENV), nats=pick(NATS_URL_ENV))


def _fallback(env: Mapping[str, str], docker_available: Callable[[], bool]) -> Backend:
    mode = env.get(BACKEND_ENV, "").strip().lower() or "auto"
    if mode == "auto":
        return Backend.TESTCONTAINERS if docker_available() else Backend.EMBEDDED
    if mode == Backend.TESTCONTAINERS:
        return Backend.TESTCONTAINERS
    if mode == Backend.EMBEDDED:
        return Backend.EMBEDDED
    raise ValueError(f"{BACKEND_ENV}={mode!r}: expected auto, testcontainers or embedded")


def docker_available(timeout: float = 2.0) -> bool:
    """Whether a Docker engine answers a ping within ``timeout`` seconds."""
    try:
        import docker  # type: ignore[import-untyped]  # noqa: PLC0415 - only without URLs

        client = docker.from_env(timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no socket, no daemon, bad DOCKER_HOST: all mean "not available"
        return False


@contextlib.contextmanager
def provide_infrastructure(
    choice: BackendChoice, env: Mapping[str, str], workdir: Path
) -> Iterator[Infrastructure]:
    """Start (or point at) both services as chosen; stop what was started on exit."""
    with contextlib.ExitStack() as stack:
        started = time.monotonic()
        postgres_dsn = _provide_postgres(choice.postgres, env, workdir, stack)
        postgres_seconds = time.monotonic() - started
        started = time.monotonic()
        nats_url, monitor_url = _provide_nats(choice.nats, env, workdir, stack)
        nats_seconds = time.monotonic() - started
        yield Infrastructure(
            postgres_dsn=postgres_dsn,
            nats_url=nats_url,
            postgres_backend=choice.postgres,
            nats_backend=choice.nats,
            nats_monitor_url=monitor_url,
            postgres_started_in=_started_in(choice.postgres, postgres_seconds),
            nats_started_in=_started_in(choice.nats, nats_seconds),
        )


def _started_in(backend: Backend, seconds: float) -> float | None:
    """Start-up time, or None when nothing was started (a URL from the environment)."""
    return None if backend is Backend.ENVIRONMENT else seconds


def _provide_postgres(
    backend: Backend, env: Mapping[str, str], workdir: Path, stack: contextlib.ExitStack
) -> str:
    if backend is Backend.ENVIRONMENT:
        return env[DATABASE_URL_ENV].strip()
    if backend is Backend.TESTCONTAINERS:
        from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415

        container = PostgresContainer(
            POSTGRES_IMAGE,
            username="postgres",
            password="postgres",  # noqa: S106 - throwaway container on a private port
            dbname="postgres",
        ).with_command("postgres -c max_connections=300 -c fsync=on")
        stack.enter_context(container)
        return str(container.get_connection_url(driver=None))
    server = stack.enter_context(EmbeddedPostgres(workdir / "postgres"))
    return server.dsn("postgres")


def _provide_nats(
    backend: Backend, env: Mapping[str, str], workdir: Path, stack: contextlib.ExitStack
) -> tuple[str, str | None]:
    if backend is Backend.ENVIRONMENT:
        return env[NATS_URL_ENV].strip(), None
    if backend is Backend.TESTCONTAINERS:
        from testcontainers.community.nats import NatsContainer  # noqa: PLC0415

        container = NatsContainer(NATS_IMAGE, jetstream=True)
        stack.enter_context(container)
        return str(container.nats_uri()), None
    server = stack.enter_context(EmbeddedNats(workdir / "nats"))
    assert_sync_always(server.monitor_url)
    return server.url, server.monitor_url
