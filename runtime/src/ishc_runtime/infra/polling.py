"""Bounded polling for processes we start: the one place that waits on a condition.

Why: a server is ready when it says so (a ports file, a health endpoint, pg_isready), not
after a fixed delay; and a wait must end, with the reason, when the deadline passes or the
process dies first.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def poll_until(
    ready: Callable[[], bool],
    *,
    deadline: float,
    failure: Callable[[], Exception],
    check: Callable[[], None] | None = None,
    interval: float = 0.02,
) -> None:
    """Return once `ready()` is true. `check()` runs first each round and raises to stop
    early (the process exited); past the monotonic `deadline`, raise `failure()`."""
    while True:
        if check is not None:
            check()
        if ready():
            return
        if time.monotonic() > deadline:
            raise failure()
        time.sleep(interval)
