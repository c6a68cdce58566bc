"""One active worker per job across replicas, by a Postgres session advisory lock."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from ishc_runtime.store.pool import Connection


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@asynccontextmanager
async def leadership(pool: asyncpg.Pool, name: str) -> AsyncIterator[Connection | None]:
    """Yield a connection holding the lock for `name`, or None when another replica leads.

    The lock lives as long as the session: a leader that dies loses it with its connection.
    """
    key = lock_key(name)
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            yield None
            return
        try:
            yield conn
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", key)
