"""Read-your-writes: a query may wait, bounded, until a read model has caught up with a
stream version the client got back from its command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def caught_up(
    current_version: Callable[[], Awaitable[int | None]],
    min_version: int | None,
    *,
    within: float = 5.0,
    interval: float = 0.02,
) -> bool:
    """True once `current_version()` reaches `min_version` (at once if none was asked for);
    False if `within` seconds pass first, and the caller answers with what it has, marked stale."""
    if min_version is None:
        return True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        version = await current_version()
        if version is not None and version >= min_version:
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(interval)
