"""Running workers (relay, projection runners, scheduler) in the background of a test.

Why: a failed assertion must still stop them, or the test's pool and connections are left
in use and teardown hangs instead of reporting the failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@asynccontextmanager
async def running(*workers: Worker, stop_timeout: float = 30.0) -> AsyncIterator[asyncio.Event]:
    """Start `worker(stopping)` tasks; on exit set `stopping` and wait for them (bounded)."""
    stopping = asyncio.Event()
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(worker(stopping)) for worker in workers]
    try:
        yield stopping
    finally:
        stopping.set()
        done, pending = await asyncio.wait(tasks, timeout=stop_timeout)
        for task in pending:
            task.cancel()
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
