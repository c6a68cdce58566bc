"""The relay: the events table is the outbox; publish it to JetStream in `seq` order.

One leader per service (the lease `relay:<STREAM>`) sequences committed rows and publishes
them in JetStream atomic batches with `Nats-Msg-Id = event_id`, then moves its checkpoint.
At-least-once: a crash between the PubAck and the checkpoint re-sends the batch, which the
stream rejects whole as a repeat (err 10201); the relay then re-sends it one message at a
time and the stream's dedup drops what it holds. Beyond the dedup window, start-up resumes
after the `Ishc-Seq` header of the stream's last message, so nothing is sent twice either.

Fenced twice: sequencing and the checkpoint commit only under the lease (`Lease.transaction`),
and every batch carries `Nats-Expected-Last-Sequence` = the stream's last sequence as this
relay last saw it. A deposed relay that wakes up (a paused process, a lost lease) has its
batch refused whole (err 10071) once anyone else has published, instead of publishing events
again after the dedup window; the relay then reads where the stream stands and goes on.

nats-py is used directly (not FastStream): atomic batches need hand-set headers and a
request for the commit, which FastStream's publisher cannot express.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_runtime import faults
from ishc_runtime.leases import Lease, Leases, hold
from ishc_runtime.observability import metrics, tracing
from ishc_runtime.relay.sequencer import assign_sequence
from ishc_runtime.relay.streams import StreamSpec, check_stream, declare_stream
from ishc_runtime.store.pool import Connection, discard_if_broken
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

SEQ_HEADER = "Ishc-Seq"
TYPE_HEADER = "Ishc-Type"
MAX_ATOMIC_BATCH = 1000  # the server's limit per atomic batch
_DUPLICATE_IN_BATCH = 10201
_WRONG_LAST_SEQUENCE = 10071
_MAX_LINKS = 128  # a batch serves many commands; link the first ones, not a thousand

_PENDING = """
SELECT seq, event_id::text AS event_id, stream_type, type,
       metadata -> 'trace_context' AS trace,
       json_build_object(
           'event_id', event_id, 'type', type, 'schema_version', schema_version,
           'stream_id', stream_id, 'stream_type', stream_type, 'version', version, 'seq', seq,
           'recorded_at', recorded_at, 'metadata', metadata, 'data', data
       )::text AS body
FROM events WHERE seq > $1 ORDER BY seq LIMIT $2
"""


# Losing the last checkpoints in a crash costs nothing: start-up resumes after the last seq
# the stream holds. So the checkpoint's commit skips the fsync wait, set in the same
# statement (a `SET LOCAL` of its own was one more round trip per batch).
_CHECKPOINT = """
INSERT INTO relay_checkpoints (stream, seq)
SELECT $1::text, $2::bigint FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, updated_at = clock_timestamp()
"""
LAG_SAMPLE_SECONDS = 1.0


@dataclass(frozen=True)
class RelayConfig:
    service: str
    replicas: int = 1
    duplicate_window: float = 120.0
    batch_size: int = MAX_ATOMIC_BATCH
    poll_interval: float = 1.0
    publish_timeout: float = 10.0
    linger: float = 0.01
    # False in production: an operator declares the stream (ishc streams declare) and the
    # relay only checks it, so the service's NATS user needs no right to shape streams.
    declare_stream: bool = True

    @property
    def stream(self) -> str:
        return subjects.stream_name(self.service)


class PublishRejected(RuntimeError):
    """JetStream refused a publish for a reason other than a repeat."""


class StreamMovedOn(RuntimeError):
    """The stream's last sequence is not the one this batch was meant to follow: someone else
    published meanwhile (another relay). Nothing of the batch was stored."""


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        nc: NatsClient,
        config: RelayConfig,
        leases: Leases | None = None,
    ) -> None:
        self.pool = pool
        self.nc = nc
        self.js = nc.jetstream(timeout=config.publish_timeout)
        self.config = config
        self.leases = leases
        self.checkpoint: int | None = None
        # The stream's last sequence as this relay last saw it: what its next batch follows.
        self.stream_last: int | None = None
        self._wake = asyncio.Event()
        # Subjects by (stream type, event type): built and validated once each, not per event.
        self._subjects: dict[tuple[str, str], str] = {}
        self._lag_sampled_at = -math.inf

    @property
    def role(self) -> str:
        return f"relay:{self.config.stream}"

    async def ensure_stream(self) -> None:
        """Declare this service's stream (file storage, kept forever, atomic batches), or
        only check it is so when an operator declares it (`streams.check_stream` raises)."""
        spec = StreamSpec(self.config.service, self.config.replicas, self.config.duplicate_window)
        if self.config.declare_stream:
            await declare_stream(self.js, spec)
        else:
            await check_stream(self.js, spec)

    async def run(self, stopping: asyncio.Event) -> None:
        """Publish until `stopping` is set; only the leader among replicas does the work."""
        leases = self.leases = self.leases or Leases(self.pool)
        while not stopping.is_set():
            try:
                async with leases.leading(self.role) as lease:
                    if lease is not None:
                        await hold(lease, self._lead(lease, stopping))
            except Exception as error:
                # A dead relay task would stop publication silently: log, back off, retry.
                # The next leader round resumes from the stream and the store, losing nothing.
                log.warning(
                    "relay.error", stream=self.config.stream, error=repr(error), exc_info=True
                )
                await discard_if_broken(self.pool, error)
            await wait_any(stopping, seconds=self.config.poll_interval)

    async def _lead(self, lease: Lease, stopping: asyncio.Event) -> None:
        # Each tenure starts from what the stream and the store say, not from what this
        # instance saw when it last led.
        self.checkpoint = self.stream_last = None
        await self.ensure_stream()
        # One connection while leading: LISTEN needs its session, and the rounds are serial.
        async with self.pool.acquire() as conn:
            await conn.add_listener("ishc_events", self._on_notify)
            try:
                await self._publish_until(conn, lease, stopping)
            finally:
                # A connection lost with its server is already gone back to the pool.
                with contextlib.suppress(asyncpg.InterfaceError):
                    await conn.remove_listener("ishc_events", self._on_notify)

    async def _publish_until(self, conn: Connection, lease: Lease, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self._wake.clear()
            try:
                published = await self.step(conn, lease)
            except StreamMovedOn as moved:
                log.warning("relay.stream_moved_on", stream=self.config.stream, detail=str(moved))
                self.checkpoint = self.stream_last = None
                continue
            if published >= self.config.batch_size:
                continue
            if published == 0:
                await wait_any(stopping, self._wake, seconds=self.config.poll_interval)
            # Let the commits of concurrent writers gather, so that one sequencer round and
            # one checkpoint serve many events instead of one each.
            await wait_any(stopping, seconds=self.config.linger)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def step(self, conn: Connection, lease: Lease) -> int:
        """Sequence what has committed, publish what is sequenced; return how many published.

        Raises `StreamMovedOn` when another publisher got to the stream first (the caller
        resumes from where the stream stands) and `LeaseLost` once the lease is gone."""
        async with lease.transaction(conn):
            await assign_sequence(conn)
        if self.checkpoint is None:
            self.checkpoint = await self.resume_point(conn)
        published = 0
        while True:
            rows = await self.pending(conn, self.checkpoint, self.config.batch_size)
            if not rows:
                break
            links = [link for row in rows[:_MAX_LINKS] if (link := tracing.link_to(row["trace"]))]
            with tracing.span(
                "relay.publish", links=links, stream=self.config.stream, events=len(rows)
            ):
                for start in range(0, len(rows), MAX_ATOMIC_BATCH):
                    await self.publish_batch(rows[start : start + MAX_ATOMIC_BATCH])
            faults.hit("relay.after_puback")
            last = rows[-1]["seq"]
            async with lease.transaction(conn):
                await conn.execute(_CHECKPOINT, self.config.stream, last)
            self.checkpoint = last
            published += len(rows)
            metrics.RELAY_PUBLISHED.labels(self.config.stream).inc(len(rows))
            metrics.RELAY_BATCH_SIZE.labels(self.config.stream).observe(len(rows))
            if len(rows) < self.config.batch_size:
                # Everything sequenced was in this batch (only the leader sequences, above):
                # asking again would only answer nothing.
                break
        await self._sample_lag(conn)
        return published

    async def _sample_lag(self, conn: Connection) -> None:
        """The lag gauge, at most once a second: a query per round, many rounds a second
        under load, for a gauge scraped every few seconds."""
        now = time.monotonic()
        if now - self._lag_sampled_at >= LAG_SAMPLE_SECONDS:
            self._lag_sampled_at = now
            metrics.RELAY_LAG.labels(self.config.stream).set(await self.lag(conn))

    async def resume_point(self, conn: Connection) -> int:
        """The later of the stored checkpoint and the last `seq` the stream already holds.

        Also notes the stream's last sequence, which the next batch must follow."""
        stored = await conn.fetchval(
            "SELECT seq FROM relay_checkpoints WHERE stream = $1", self.config.stream
        )
        self.stream_last = int((await self.js.stream_info(self.config.stream)).state.last_seq)
        try:
            # The last message on the event subjects, not by sequence: a purge or a stray
            # message must not hide where publication stopped.
            last = await self.js.get_last_msg(
                self.config.stream, subjects.all_events(self.config.service)
            )
            in_stream = int((last.headers or {}).get(SEQ_HEADER, 0))
        except NotFoundError:
            in_stream = 0
        return max(stored or 0, in_stream)

    async def lag(self, conn: Connection | None = None) -> int:
        """Committed events not yet published (unsequenced ones included)."""
        query = "SELECT count(*) FROM events WHERE seq IS NULL OR seq > $1"
        checkpoint = self.checkpoint or 0
        if conn is not None:
            return int(await conn.fetchval(query, checkpoint))
        return int(await self.pool.fetchval(query, checkpoint))

    def _subject(self, row: asyncpg.Record) -> str:
        key = (row["stream_type"], row["type"])
        subject = self._subjects.get(key)
        if subject is None:
            subject = self._subjects[key] = subjects.event_subject(
                self.config.service, key[0], key[1].split(".", 1)[1]
            )
        return subject

    def _headers(self, row: asyncpg.Record) -> dict[str, str]:
        headers = {
            "Nats-Msg-Id": row["event_id"],
            SEQ_HEADER: str(row["seq"]),
            TYPE_HEADER: row["type"],
        }
        if row["trace"]:
            headers.update(row["trace"])
        return headers

    async def pending(self, conn: Connection, after: int, limit: int) -> list[asyncpg.Record]:
        """Up to `limit` sequenced events after store position `after`, in order, as rows
        `publish_batch` takes (the event's JSON body included)."""
        return list(await conn.fetch(_PENDING, after, limit))

    async def publish_batch(self, rows: Sequence[asyncpg.Record]) -> None:
        """Publish rows from `pending` (at most MAX_ATOMIC_BATCH) as one atomic JetStream
        batch, with the relay's subjects and headers, right after the stream's last sequence
        as `resume_point` or the previous batch left it; events the stream holds already (its
        dedup window) are not stored twice. Raises `StreamMovedOn` when the stream has moved
        past that sequence, `PublishRejected` on any other refusal. Used by the relay loop and
        by `ishc store republish`, each under the relay's lease."""
        if self.stream_last is None:
            self.stream_last = int((await self.js.stream_info(self.config.stream)).state.last_seq)
        if len(rows) == 1:
            await self._publish_alone(rows[0])
            return
        batch_id = rows[0]["event_id"]
        for number, row in enumerate(rows[:-1], start=1):
            headers = self._headers(row)
            headers["Nats-Batch-Id"] = batch_id
            headers["Nats-Batch-Sequence"] = str(number)
            if number == 1:
                headers["Nats-Expected-Last-Sequence"] = str(self.stream_last)
            await self.nc.publish(self._subject(row), row["body"].encode(), headers=headers)
        last = rows[-1]
        headers = self._headers(last)
        headers["Nats-Batch-Id"] = batch_id
        headers["Nats-Batch-Sequence"] = str(len(rows))
        headers["Nats-Batch-Commit"] = "1"
        ack = await self._request(last, headers)
        error = ack.get("error")
        if error is None:
            self.stream_last = int(ack["seq"])
            return
        if error.get("err_code") != _DUPLICATE_IN_BATCH:
            msg = f"{self.config.stream}: batch refused: {error}"
            raise PublishRejected(msg)
        log.info("relay.batch_repeated", stream=self.config.stream, size=len(rows))
        await self._publish_one_by_one(rows)

    async def _publish_alone(self, row: asyncpg.Record) -> None:
        """One event: a plain publish guarded by the stream's last sequence is as atomic as a
        batch of one, and the stream keeps no batch headers with it (the server stores them
        with the message, and every consumer of the stream parses them on every delivery)."""
        headers = self._headers(row)
        headers["Nats-Expected-Last-Sequence"] = str(self.stream_last)
        ack = await self._request(row, headers)
        error = ack.get("error")
        if error is None:
            # A repeat within the dedup window (checked before the last sequence) is not
            # stored again: the stream stands where it stood.
            if not ack.get("duplicate"):
                self.stream_last = int(ack["seq"])
            return
        msg = f"{self.config.stream}: publish refused: {error}"
        raise PublishRejected(msg)

    async def _request(self, row: asyncpg.Record, headers: dict[str, str]) -> dict[str, Any]:
        """Publish `row` and wait for the stream's answer; another publisher having moved the
        stream on (wrong last sequence) raises `StreamMovedOn`, any other answer is returned."""
        reply = await self.nc.request(
            self._subject(row),
            row["body"].encode(),
            timeout=self.config.publish_timeout,
            headers=headers,
        )
        ack: dict[str, Any] = json.loads(reply.data)
        error = ack.get("error")
        if error is not None and error.get("err_code") == _WRONG_LAST_SEQUENCE:
            self.stream_last = None
            msg = f"{self.config.stream}: {error.get('description')}"
            raise StreamMovedOn(msg)
        return ack

    async def _publish_one_by_one(self, rows: Sequence[asyncpg.Record]) -> None:
        for row in rows:
            ack = await self.js.publish(
                self._subject(row),
                row["body"].encode(),
                stream=self.config.stream,
                headers=self._headers(row),
            )
            if not ack.duplicate:
                self.stream_last = ack.seq
