"""Start-up that waits for its dependencies instead of exiting.

A service started while its database refuses connections (a restart, a failover, a pod
scheduled before its database) used to exit with a traceback. Now it retries with doubling
pauses up to a bound, logging each failure, and is not ready until connected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
import structlog
from nats.errors import Error as NatsError

from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

T = TypeVar("T")

# What "not reachable yet" looks like. Anything else (a migration that fails, bad settings)
# is a fault of ours that retrying would only hide.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    NatsError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


async def retry_until_connected(
    what: str,
    connect: Callable[[], Awaitable[T]],
    stopping: asyncio.Event,
    max_pause: float,
    first_pause: float = 0.1,
) -> T | None:
    """`connect()` until it succeeds; None if `stopping` is set first."""
    pause = min(first_pause, max_pause)
    attempt = 1
    while not stopping.is_set():
        try:
            return await connect()
        except UNREACHABLE as error:
            log.warning("startup.unreachable", dependency=what, attempt=attempt, error=repr(error))
        await wait_any(stopping, seconds=pause)
        pause = min(pause * 2, max_pause)
        attempt += 1
    return None
