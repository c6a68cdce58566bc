"""Polling with a deadline: how tests wait for asynchronous effects.

Why: a fixed ``sleep`` is either too short (flaky on a slow CI machine) or too long
(slow everywhere). Polling a condition returns as soon as it holds and fails with a
clear message when it never does.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def wait_until(
    predicate: Callable[[], Awaitable[bool] | bool],
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "",
) -> None:
    """Return once ``predicate()`` is true; raise ``AssertionError(message)`` after ``timeout``.

    ``predicate`` may be a plain or an async callable. It is checked once more at the
    deadline, so a condition that turns true just in time is not reported as a failure.
    Exceptions raised by ``predicate`` propagate at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(message or f"condition not met within {timeout}s")
        await asyncio.sleep(min(interval, remaining))
