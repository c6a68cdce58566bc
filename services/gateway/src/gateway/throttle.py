"""Per-user limits: requests per minute and requests in progress at once.

Why both: a rate limit alone lets one user hold every worker with slow requests (a national
report, a long consistency wait, live streams); a concurrency limit alone lets a fast client
send thousands of cheap ones. Over either, the answer is 429 `rate-limited` with Retry-After.

The rate is a moving window (`limits`, in this process's memory). Limits are per gateway
process: behind a load balancer with N replicas a user gets up to N times the limit, which
is still a bound; a shared store (`limits` speaks Redis) would make it exact.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

CONCURRENCY_RETRY_SECONDS = 1


@dataclass
class Throttle:
    per_minute: int | None = None
    concurrent: int | None = None
    clock: Callable[[], float] = time.time
    _in_flight: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._window = RateLimitItemPerMinute(self.per_minute) if self.per_minute else None
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @property
    def enabled(self) -> bool:
        return self._window is not None or self.concurrent is not None

    def over_rate(self, who: str) -> int | None:
        """None if `who` may make one more request now (and it is counted), else the whole
        seconds until they may."""
        if self._window is None:
            return None
        if self._limiter.hit(self._window, who):
            return None
        reset, _ = self._limiter.get_window_stats(self._window, who)
        return max(1, math.ceil(reset - self.clock()))

    def enter(self, who: str) -> bool:
        """Take one of `who`'s slots for a request in progress; False when all are taken."""
        if self.concurrent is None:
            return True
        running = self._in_flight.get(who, 0)
        if running >= self.concurrent:
            return False
        self._in_flight[who] = running + 1
        return True

    def leave(self, who: str) -> None:
        if self.concurrent is None:
            return
        running = self._in_flight.get(who, 0) - 1
        if running > 0:
            self._in_flight[who] = running
        else:
            self._in_flight.pop(who, None)

    def in_flight(self, who: str) -> int:
        return self._in_flight.get(who, 0)
