"""The servers a benchmark run measures against: its own, unless URLs are given.

By default a run starts an embedded PostgreSQL (fsync and synchronous_commit on) and an
embedded NATS server (JetStream file store, ``sync_interval: always``) in a temporary
directory on loopback, on ports the kernel or the server picks: never the machine's
5432/4222. ``ISHC_BENCH_DATABASE_URL`` (an admin DSN allowed to CREATE DATABASE) and
``ISHC_BENCH_NATS_URL`` point the run at existing servers instead;
``ISHC_BENCH_NATS_MONITOR_URL`` lets the run check that such a server fsyncs every write.

Every measurement gets a database of its own (dropped at the end) and streams named with
a fresh token, so measurements never see each other's data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
import nats
from nats.aio.client import Client as NatsClient

from ishc_runtime.infra import EmbeddedNats, EmbeddedPostgres, assert_sync_always
from ishc_runtime.testing.databases import DatabaseFactory

DATABASE_URL_ENV = "ISHC_BENCH_DATABASE_URL"
NATS_URL_ENV = "ISHC_BENCH_NATS_URL"
NATS_MONITOR_ENV = "ISHC_BENCH_NATS_MONITOR_URL"


@dataclass
class Servers:
    """Where the run connects, and what it knows about how durable those servers are."""

    admin_dsn: str
    nats_url: str
    postgres_source: str
    nats_source: str
    nats_sync_always: bool | None
    server_pids: set[int] = field(default_factory=set)  # the servers we started, if any
    databases: DatabaseFactory = field(init=False)

    def __post_init__(self) -> None:
        self.databases = DatabaseFactory(self.admin_dsn)

    async def database(self, hint: str) -> str:
        """A fresh, empty database; returns its DSN."""
        return await self.databases.create(f"bench_{hint}")

    async def postgres_facts(self) -> dict[str, str]:
        """Server version and the settings that decide what a commit costs."""
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            facts = {"server_version": str(await conn.fetchval("SHOW server_version"))}
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers"):
                facts[name] = str(await conn.fetchval(f"SHOW {name}"))
            return facts
        finally:
            await conn.close()

    async def checkpoint(self) -> None:
        """Flush dirty pages now, so a measurement does not pay for the previous one's."""
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def nats(self, name: str) -> AsyncIterator[NatsClient]:
        client = await nats.connect(self.nats_url, name=name, connect_timeout=5)
        try:
            yield client
        finally:
            await client.close()


def token() -> str:
    """Eight lower-case hex characters: a fresh, valid subject token and stream suffix."""
    return uuid.uuid4().hex[:8]


def libpq_parts(dsn: str) -> dict[str, str]:
    """Host, port, user, password and database of a DSN, for libraries configured by parts."""
    parts = urlsplit(dsn)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": unquote(parts.path.lstrip("/") or "postgres"),
    }


@contextlib.contextmanager
def servers(workdir: Path | None = None) -> Iterator[Servers]:
    """Start (or point at) Postgres and NATS for one run; stop what was started on exit."""
    env = os.environ
    with contextlib.ExitStack() as stack:
        root = workdir
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ishc-bench-")))
        pids: set[int] = set()
        if env.get(DATABASE_URL_ENV, "").strip():
            admin_dsn, pg_source = env[DATABASE_URL_ENV].strip(), f"${DATABASE_URL_ENV}"
        else:
            postgres = stack.enter_context(EmbeddedPostgres(root / "postgres"))
            admin_dsn, pg_source = postgres.dsn("postgres"), f"embedded, {root / 'postgres'}"
            postmaster = (postgres.data_dir / "postmaster.pid").read_text().split()
            pids.add(int(postmaster[0]))
        monitor: str | None
        if env.get(NATS_URL_ENV, "").strip():
            nats_url, nats_source = env[NATS_URL_ENV].strip(), f"${NATS_URL_ENV}"
            monitor = env.get(NATS_MONITOR_ENV, "").strip() or None
        else:
            server = stack.enter_context(EmbeddedNats(root / "nats"))
            nats_url, nats_source = server.url, f"embedded, {root / 'nats'}"
            monitor = server.monitor_url
            pids.add(server.pid)
        sync_always: bool | None = None
        if monitor is not None:
            assert_sync_always(monitor)  # raises: the relay target is defined for this mode
            sync_always = True
        yield Servers(admin_dsn, nats_url, pg_source, nats_source, sync_always, pids)
