"""Opening the service's database and NATS, turning "cannot connect" into exit code 4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import nats
from nats.aio.client import Client as NatsClient

from ishc_ops.targets import UNREACHABLE, OpsError
from ishc_runtime.store.pool import create_pool

OPS_INBOX_PREFIX = "_INBOX_ops"


@asynccontextmanager
async def database(url: str) -> AsyncIterator[asyncpg.Pool]:
    try:
        pool = await create_pool(url, min_size=1, max_size=4)
    except (OSError, asyncpg.PostgresError) as error:
        msg = f"cannot connect to the database: {error}"
        raise OpsError(msg, UNREACHABLE) from error
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def bus(url: str) -> AsyncIterator[NatsClient]:
    try:
        nc = await nats.connect(
            url,
            name="ishc-ops",
            connect_timeout=5,
            max_reconnect_attempts=1,
            allow_reconnect=False,
            # The ops user may subscribe to its own inboxes only (deploy/nats/generate.py).
            inbox_prefix=OPS_INBOX_PREFIX,
        )
    except Exception as error:
        msg = f"cannot connect to NATS at {url}: {error}"
        raise OpsError(msg, UNREACHABLE) from error
    try:
        yield nc
    finally:
        if not nc.is_closed:
            await nc.close()
