"""Running workers (relay, projection runners, scheduler) in the background of a test.

Why: a failed assertion must still stop them, or the test's pool and connections are left
in use and teardown hangs instead of reporting the failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Worker = Callable[[asyncio.Event], Awaitable[None]]


@asynccontextmanager
async def running(*workers: Worker, stop_timeout: float = 30.0) -> AsyncIterator[asyncio.Event]:
    """Start `worker(stopping)` tasks; on exit set `stopping` and wait for them (bounded)."""
    stopping = asyncio.Event()
    tasks = [asyncio.create_task(worker(stopping)) for worker in workers]
    try:
        yield stopping
    finally:
        stopping.set()
        done, pending = await asyncio.wait(tasks, timeout=stop_timeout)
        for task in pending:
            task.cancel()
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
