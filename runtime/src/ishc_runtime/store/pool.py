"""asyncpg pools with the codecs every part of the runtime expects (jsonb ↔ Python)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy
from pydantic_core import from_json

log = structlog.get_logger(__name__)

# What a handler may be given: a plain connection, or one borrowed from a pool.
Connection = asyncpg.Connection | PoolConnectionProxy


def _encode_json(value: Any) -> str:
    # Callers that already hold JSON text (pydantic's dump) pass it through untouched.
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("jsonb", "json"):
        await conn.set_type_codec(
            name, schema="pg_catalog", encoder=_encode_json, decoder=from_json, format="text"
        )


async def _reset_on_release(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's default reset (CLOSE ALL, UNLISTEN *, RESET ALL, unlock all), which
    costs a round trip on every release, i.e. on every `pool.fetch`. The runtime never leaves
    session state behind: settings are `SET LOCAL`, advisory locks and LISTENs are released
    in `finally` blocks, and an open transaction is still rolled back here."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    search_path: str | None = None,
    application_name: str = "ishc",
    command_timeout: float = 30,
) -> asyncpg.Pool:
    """The one way to open a pool: the runtime's codecs and cheap reset on every connection.

    `search_path` (e.g. `"rebuild_x", public`, quoted by the caller) makes unqualified table
    names resolve to another schema first: a blue-green rebuild runs a projection's unchanged
    SQL into shadow tables this way."""
    settings = {
        "lock_timeout": "10s",
        "idle_in_transaction_session_timeout": "60s",
        "application_name": application_name,
    }
    if search_path is not None:
        settings["search_path"] = search_path
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_reset_on_release,
        # Bounded waits: a stuck lock or a dead server becomes an error, never a hang.
        command_timeout=command_timeout,
        server_settings=settings,
    )
    assert pool is not None
    return pool


async def discard_if_broken(pool: asyncpg.Pool | None, error: BaseException) -> None:
    """After Postgres was killed or a session terminated mid-statement, asyncpg can hand a
    connection back to the pool in a state it cannot leave ("cannot switch to state …;
    another operation is in progress", asyncpg#1069, sqlalchemy#13241), and every later user
    of it fails. Once one shows, replace every connection of the pool: each is closed on its
    next release and new ones are opened."""
    if pool is not None and isinstance(error, asyncpg.InternalClientError):
        log.warning("postgres.connections_replaced", error=repr(error))
        await pool.expire_connections()


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "ishc"})
    await _init_connection(conn)
    return conn
