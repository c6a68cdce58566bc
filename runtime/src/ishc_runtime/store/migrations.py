"""Versioned, idempotent SQL migrations, applied at start-up.

Each source (the runtime's own tables, then a service's projections) is a folder of
`NNNN_name.sql` files applied in name order, once, each in its own transaction. An applied
file whose text changed is refused: migrations are append-only history, like events.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

# Held for the whole run so that replicas starting together apply each file once.
_MIGRATION_LOCK = 0x15C0_0001


class MigrationChanged(RuntimeError):
    """An already applied migration file was edited."""


@dataclass(frozen=True)
class MigrationSource:
    namespace: str
    directory: Traversable

    @classmethod
    def package(cls, namespace: str, package: str, folder: str = "sql") -> MigrationSource:
        return cls(namespace, files(package).joinpath(folder))


RUNTIME_MIGRATIONS = MigrationSource.package("runtime", "ishc_runtime.store")

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace  text        NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (namespace, name)
)
"""


async def migrate(dsn_or_conn: str | asyncpg.Connection, *sources: MigrationSource) -> list[str]:
    """Apply what is missing; return the `namespace/name` of each file applied now."""
    conn = await asyncpg.connect(dsn_or_conn) if isinstance(dsn_or_conn, str) else dsn_or_conn
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(_BOOKKEEPING)
            applied: list[str] = []
            for source in (RUNTIME_MIGRATIONS, *sources):
                applied += await _apply_source(conn, source)
            return applied
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    finally:
        if isinstance(dsn_or_conn, str):
            await conn.close()


async def _apply_source(conn: asyncpg.Connection, source: MigrationSource) -> list[str]:
    done = {
        row["name"]: row["checksum"]
        for row in await conn.fetch(
            "SELECT name, checksum FROM schema_migrations WHERE namespace = $1", source.namespace
        )
    }
    applied = []
    scripts = sorted(
        (f for f in source.directory.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if script.name in done:
            if done[script.name] != checksum:
                msg = f"migration {source.namespace}/{script.name} changed after it was applied"
                raise MigrationChanged(msg)
            continue
        async with conn.transaction():
            await conn.execute(text)
            await conn.execute(
                "INSERT INTO schema_migrations (namespace, name, checksum) VALUES ($1, $2, $3)",
                source.namespace,
                script.name,
                checksum,
            )
        applied.append(f"{source.namespace}/{script.name}")
    return applied
