"""Every instance of a service hears at once when another destroys a data key.

Each instance caches unwrapped keys (`SubjectKeys`), trusted for `max_age` without reading
the table again. An erasure or an expired retention period on one instance would otherwise
reach the others only when their copies age out: until then they could still open the
person's data and seal new data about them. The destroying statement notifies
`DESTROYED_CHANNEL` (delivered on commit), and every instance listens and marks its copy
erased. A notification missed while the connection was down is made up for on reconnecting:
every cached live key is read again before its next use. The age stays as the last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import structlog

from ishc_runtime.privacy.keys import DESTROYED_CHANNEL, KeyRef, SubjectKeys
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)


async def follow_destructions(
    keys: SubjectKeys, stopping: asyncio.Event, *, retry_seconds: float = 1.0
) -> None:
    """Listen until `stopping` is set, reconnecting after any loss of the connection."""

    def on_notify(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        subject, _, category = str(payload).partition("\x1f")
        keys.destroyed_elsewhere(KeyRef(subject, category))

    while not stopping.is_set():
        try:
            await _listen(keys, stopping, on_notify, retry_seconds)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("privacy.destructions_unheard", error=repr(error))
        await wait_any(stopping, seconds=retry_seconds)


async def _listen(
    keys: SubjectKeys,
    stopping: asyncio.Event,
    on_notify: Callable[[object, int, str, object], None],
    check_seconds: float,
) -> None:
    """One connection's life: until it is lost or `stopping` is set."""
    lost = asyncio.Event()
    async with keys.pool.acquire() as conn:
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(DESTROYED_CHANNEL, on_notify)
        try:
            keys.expire_live()
            while not (stopping.is_set() or lost.is_set() or conn.is_closed()):
                await wait_any(stopping, lost, seconds=check_seconds)
        finally:
            with contextlib.suppress(asyncpg.InterfaceError, OSError):
                await conn.remove_listener(DESTROYED_CHANNEL, on_notify)
