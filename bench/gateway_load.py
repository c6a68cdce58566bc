"""The load generator of the gateway benchmark: open loop at a fixed rate, closed loop for
capacity, and the statistics of both.

Open loop: request `n` is due at `start + n / rate`, whether or not earlier requests have
answered, and its latency runs from that intended time to its answer. A server that stalls
therefore shows its stall in every request that should have been sent meanwhile (no
coordinated omission), and a generator that falls behind is charged the same way.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# One request: `n` is its number in the run; returns the HTTP status (0: no answer).
Send = Callable[[int], Awaitable[int]]


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-quantile (0..1) by linear interpolation between closest ranks (numpy's
    default); NaN for no values."""
    if not 0.0 <= q <= 1.0:
        msg = f"quantile {q} is outside 0..1"
        raise ValueError(msg)
    if not values:
        return math.nan
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def schedule(rate: float, seconds: float) -> list[float]:
    """Intended send offsets (seconds from the start) of an open-loop run."""
    if rate <= 0 or seconds <= 0:
        msg = "rate and seconds must be positive"
        raise ValueError(msg)
    return [n / rate for n in range(round(rate * seconds))]


@dataclass
class LatencyStats:
    """Latencies (seconds) and statuses of one run, summarised in milliseconds."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def record(self, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    def summary(self) -> dict[str, Any]:
        ms = [x * 1000 for x in self.latencies]
        return {
            "requests": len(ms),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "p50_ms": _round(percentile(ms, 0.50)),
            "p90_ms": _round(percentile(ms, 0.90)),
            "p99_ms": _round(percentile(ms, 0.99)),
            "max_ms": _round(max(ms)) if ms else None,
        }


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 2)


async def open_loop(send: Send, rate: float, seconds: float) -> tuple[LatencyStats, float]:
    """Send at `rate` for `seconds`; (stats, how late the generator was at worst, seconds).

    One task per request, started when due: a slow answer never delays the next send.
    """
    loop = asyncio.get_running_loop()
    stats = LatencyStats()
    tasks: set[asyncio.Task[None]] = set()
    start = loop.time() + 0.05
    worst_late = 0.0

    async def one(n: int, intended: float) -> None:
        status = await send(n)
        stats.record(loop.time() - intended, status)

    for n, offset in enumerate(schedule(rate, seconds)):
        intended = start + offset
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        worst_late = max(worst_late, loop.time() - intended)
        task = asyncio.create_task(one(n, intended))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return stats, worst_late


async def closed_loop(send: Send, clients: int, seconds: float) -> tuple[int, LatencyStats]:
    """`clients` loops each sending its next request when the previous answered, for
    `seconds`; (successful requests that finished in time, stats of every request)."""
    stats = LatencyStats()
    end = time.perf_counter() + seconds
    numbers = iter(range(1 << 62))
    done = [0]

    async def client() -> None:
        while True:
            began = time.perf_counter()
            status = await send(next(numbers))
            finished = time.perf_counter()
            stats.record(finished - began, status)
            if finished > end:
                return
            if 200 <= status < 300:
                done[0] += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return done[0], stats


async def drain(send: Send, *, quick: float = 0.25, timeout: float = 180.0) -> float:
    """Send one request at a time until one succeeds within `quick` seconds; the seconds
    that took. After an overloaded phase a service still works through requests its
    clients gave up on; measuring the next phase before that backlog is gone would charge
    it to the next phase."""
    began = time.perf_counter()
    n = 0
    while True:
        sent = time.perf_counter()
        status = await send(n)
        n += 1
        finished = time.perf_counter()
        if 200 <= status < 300 and finished - sent < quick:
            return finished - began
        if finished - began > timeout:
            msg = f"the target did not drain within {timeout:.0f}s"
            raise TimeoutError(msg)
