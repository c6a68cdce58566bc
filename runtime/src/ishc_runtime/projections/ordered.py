"""The bulk of a (re)build read with an ordered consumer: no acks, no redeliveries, a batch
committed with its checkpoint per transaction exactly as the runner does (DESIGN §5: about 4
times a durable pull consumer with acks here).

nats-py's ordered consumer (`js.subscribe(..., ordered_consumer=True)`) is an ephemeral push
consumer (ack policy none, one replica, in memory) with flow control and idle heartbeats.
The client tracks the consumer sequence of what it receives and, on a gap or after two
missed heartbeats, recreates the consumer at the last stream sequence it received + 1. Two
things it does not guarantee, so this module does not rely on them:
- a message dropped on the client for a full pending queue (a slow consumer) has already
  moved the client's sequences: nats-py then goes on after it silently;
- it knows nothing of our checkpoint.
Every batch therefore goes through the runner's chain check (stream sequence = checkpoint +
1, or the next delivery of the consumer that delivered the previous one) inside the
lease-fenced transaction. A batch that breaks the chain, a handler that fails, or a lost
lease ends the ordered read: the durable consumer then goes on from the checkpoint, with its
acks, retries and failure policy (the tail of a rebuild, and everything after its switch).

Messages are taken with `next_msg` rather than a callback: nats-py answers the server's flow
control only once the application has taken the messages before it, so the server never
runs further ahead of the fold than its flow-control window.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from ishc_contracts import subjects
from ishc_runtime.leases import Lease, LeaseLost, Leases, hold
from ishc_runtime.projections.runner import ProjectionRunner

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OrderedRead:
    """How an ordered read of one source ended."""

    source: str
    checkpoint: int  # where the projection stands on the source afterwards
    complete: bool  # reached the bound it was given
    reason: str  # why it ended


async def read_ordered(
    runner: ProjectionRunner,
    until: dict[str, int],
    *,
    batch_size: int = 1000,
    idle_timeout: float = 10.0,
) -> list[OrderedRead]:
    """Fold every source of `runner`'s projection up to the stream sequence `until[source]`
    (never past it) with an ordered consumer each, under each source's lease."""
    leases = runner.leases = runner.leases or Leases(runner.pool)
    reads = [
        _read_source(runner, leases, source, until.get(source, 0), batch_size, idle_timeout)
        for source in runner.projection.sources
    ]
    return list(await asyncio.gather(*reads))


async def _read_source(
    runner: ProjectionRunner,
    leases: Leases,
    source: str,
    until: int,
    batch_size: int,
    idle_timeout: float,
) -> OrderedRead:
    async with leases.leading(runner.role(source)) as lease:
        if lease is None:
            done = await runner.checkpoint(source)
            return OrderedRead(source, done, done >= until, "led by another instance")
        try:
            read = await hold(lease, _read(runner, lease, source, until, batch_size, idle_timeout))
        except LeaseLost:  # the fence refused a batch: it committed nothing
            read = None
    if read is None:
        return OrderedRead(source, await runner.checkpoint(source), False, "lease lost")
    return read


async def _read(
    runner: ProjectionRunner,
    lease: Lease,
    source: str,
    until: int,
    batch_size: int,
    idle_timeout: float,
) -> OrderedRead:
    checkpoint = await runner.checkpoint(source)
    if checkpoint >= until:
        return OrderedRead(source, checkpoint, True, "nothing to read")
    js = runner.js
    subscription = await js.subscribe(
        subjects.all_events(source),
        stream=subjects.stream_name(source),
        ordered_consumer=True,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=checkpoint + 1
        ),
    )
    runner.restart_chain(source)
    # Read ahead while a batch is being applied (Postgres works meanwhile in its own
    # process), at most two batches: memory stays bounded, and taking messages off the
    # subscription is what answers the server's flow control.
    batches: asyncio.Queue[list[Msg]] = asyncio.Queue(maxsize=2)

    async def read_ahead() -> None:
        while True:
            batch = await _next_batch(subscription, until, batch_size, idle_timeout)
            await batches.put(batch)
            if not batch or batch[-1].metadata.sequence.stream >= until:
                return

    reader = asyncio.create_task(read_ahead())
    try:
        while checkpoint < until:
            batch = await _batch_from(batches, reader)
            if not batch:
                return OrderedRead(source, checkpoint, False, "no message in time")
            taken = await runner.apply_unacked(source, batch, lease)
            if taken is None:
                return OrderedRead(source, checkpoint, False, "a handler failed")
            if taken:
                checkpoint = max(checkpoint, batch[taken - 1].metadata.sequence.stream)
            if taken < len(batch):
                log.warning(
                    "projection.ordered_read_broken",
                    projection=runner.projection.name,
                    source=source,
                    checkpoint=checkpoint,
                )
                return OrderedRead(source, checkpoint, False, "a message was missing")
        return OrderedRead(source, checkpoint, True, "reached its bound")
    finally:
        reader.cancel()
        await asyncio.wait({reader})
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()


async def _batch_from(batches: asyncio.Queue[list[Msg]], reader: asyncio.Task[None]) -> list[Msg]:
    """The next batch read ahead; the reader's failure, if it failed instead."""
    getting = asyncio.ensure_future(batches.get())
    await asyncio.wait({getting, reader}, return_when=asyncio.FIRST_COMPLETED)
    if getting.done():
        return getting.result()
    getting.cancel()
    reader.result()  # raises what stopped it
    # It returned after putting its last batch: that batch is in the queue.
    return batches.get_nowait()


async def _next_batch(
    sub: JetStreamContext.PushSubscription, until: int, batch_size: int, idle_timeout: float
) -> list[Msg]:
    """What has arrived, at least one message (waiting up to `idle_timeout` for it), at most
    `batch_size`, none past `until`."""
    try:
        first: Msg = await sub.next_msg(timeout=idle_timeout)
    except (NatsTimeoutError, TimeoutError):
        return []
    batch = [first]
    while (
        len(batch) < batch_size
        and sub.pending_msgs > 0
        and batch[-1].metadata.sequence.stream < until
    ):
        batch.append(await sub.next_msg(timeout=idle_timeout))
    while batch and batch[-1].metadata.sequence.stream > until:
        batch.pop()
    return batch
