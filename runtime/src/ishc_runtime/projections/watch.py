"""The periodic check every instance runs on its service's projections.

Each round reads the same status as `ishc projections status` and sets the metrics an alert
can watch: lag, and events a projection skipped (`unaccounted`: messages of the stream up to
its checkpoint that it never took). Skipping is what two runners on one consumer did before
leases were fenced (issue #17), and nothing showed it; a non-zero count is logged as an error.
The full check of a projection's content is `ishc projections verify` (a fold compared table
by table), too heavy to run this often.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from ishc_contracts.operations import ProjectionSourceStatus
from ishc_runtime.observability import metrics
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

StatusReader = Callable[[], Awaitable[Sequence[ProjectionSourceStatus]]]
LagRecorder = Callable[[Sequence[ProjectionSourceStatus]], Awaitable[None]]


def publish(statuses: Sequence[ProjectionSourceStatus]) -> None:
    for status in statuses:
        labels = (status.projection, status.source)
        if status.lag is not None:
            metrics.PROJECTION_LAG.labels(*labels).set(status.lag)
        if status.unaccounted is not None:
            metrics.PROJECTION_UNACCOUNTED.labels(*labels).set(status.unaccounted)
            if status.unaccounted:
                log.error(
                    "projection.events_unaccounted",
                    projection=status.projection,
                    source=status.source,
                    unaccounted=status.unaccounted,
                    checkpoint=status.checkpoint,
                )


async def watch(
    read: StatusReader, stopping: asyncio.Event, every: float, record: LagRecorder | None = None
) -> None:
    """Publish the projections' status every `every` seconds until `stopping` is set, and
    `record` each round's lag (the operator screen's lag over time)."""
    while not stopping.is_set():
        try:
            statuses = await read()
            publish(statuses)
            if record is not None:
                await record(statuses)
        except Exception:  # a monitor never stops the instance: say so and look again later
            log.warning("projection.watch_failed", exc_info=True)
        await wait_any(stopping, seconds=every)
