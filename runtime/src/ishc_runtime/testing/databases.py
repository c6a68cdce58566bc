"""Brand-new databases per test, dropped afterwards.

Why: tests must never depend on state left behind (DESIGN.md section 9), and a whole
database per test isolates schemas, sequences and ``LISTEN`` channels too, which
per-test schemas or rollbacks would not. ``CREATE DATABASE`` from ``template1`` takes a
few tens of milliseconds, cheap enough to do for every test.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

_MAX_IDENTIFIER = 63  # NAMEDATALEN - 1
_HINT_CHARS = 40


def database_name(name_hint: str) -> str:
    """A unique, valid, lower-case database name that still says which test made it."""
    hint = re.sub(r"[^a-z0-9]+", "_", name_hint.lower()).strip("_")[:_HINT_CHARS] or "db"
    name = f"t_{hint}_{uuid.uuid4().hex[:8]}"
    assert len(name) <= _MAX_IDENTIFIER
    return name


def with_database(dsn: str, database: str) -> str:
    """``dsn`` pointing at ``database`` instead, keeping host, credentials and query."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def quote_identifier(name: str) -> str:
    """SQL identifier quoting (``CREATE DATABASE`` takes no bind parameters)."""
    return '"' + name.replace('"', '""') + '"'


class DatabaseFactory:
    """Creates databases on the server behind ``admin_dsn`` and drops them all at the end."""

    def __init__(self, admin_dsn: str) -> None:
        self._admin_dsn = admin_dsn
        self._created: list[str] = []

    @property
    def created(self) -> tuple[str, ...]:
        """Names of the databases created and not yet dropped."""
        return tuple(self._created)

    async def create(self, name_hint: str = "test") -> str:
        """Create a fresh database and return its DSN."""
        name = database_name(name_hint)
        connection = await asyncpg.connect(self._admin_dsn)
        try:
            await connection.execute(f"CREATE DATABASE {quote_identifier(name)}")
        finally:
            await connection.close()
        self._created.append(name)
        return with_database(self._admin_dsn, name)

    async def drop_all(self) -> None:
        """Drop every database this factory created, disconnecting leftover sessions."""
        if not self._created:
            return
        connection = await asyncpg.connect(self._admin_dsn)
        try:
            while self._created:
                name = self._created.pop()
                await connection.execute(
                    f"DROP DATABASE IF EXISTS {quote_identifier(name)} WITH (FORCE)"
                )
        finally:
            await connection.close()
