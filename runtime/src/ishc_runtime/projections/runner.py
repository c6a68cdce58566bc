"""The projection runner: durable pull consumers → one Postgres transaction per fetched batch.

Each batch is applied together with the checkpoint (stream sequence per source) and acked
only after the commit; messages at or below the checkpoint are skipped, so a redelivery
after a crash has no second effect. The consumer allows no more unacked messages than one
batch, so the server cannot hand out later messages while earlier ones are pending: the
checkpoint never passes an event that was not applied.

One runner per (projection, source) among replicas, by the lease
`projection:<projection>:<source>`, and two fences in every batch's transaction (ADR 0004):
- the lease (`Lease.transaction`): a deposed runner commits nothing;
- the chain: the checkpoint only moves from the message the batch continues. A message
  continues it when its stream sequence is the checkpoint + 1, or when it is the next
  delivery of the consumer this runner created (consumer sequence + 1: nobody else took a
  message in between, so the server skipped nothing this projection needs). A consumer is
  addressed by name, so a deposed runner that has not yet noticed can still pull from the
  new leader's consumer; the messages it took then leave a hole in the leader's deliveries.
  The leader applies up to the hole, acks that, and recreates its consumer at checkpoint + 1,
  instead of acking past events nobody applied.

nats-py is used directly rather than a FastStream subscriber: FastStream runs the messages
of a fetched batch concurrently and acks them one by one, while a projection needs the whole
batch in order inside one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic_core import from_json

from ishc_contracts import EventRegistry, subjects
from ishc_contracts.envelope import SEQ_HEADER, TYPE_HEADER
from ishc_runtime import faults
from ishc_runtime.leases import Lease, Leases, hold
from ishc_runtime.observability import metrics, tracing
from ishc_runtime.privacy.columns import sealing_with
from ishc_runtime.privacy.seal import PREFIX, Privacy
from ishc_runtime.projections.messages import Opener, Ready, Skip, Unusable, prepare
from ishc_runtime.projections.parking import park, record_blocking, resolve_blocking
from ishc_runtime.projections.projection import Projection, Write
from ishc_runtime.store.pool import Connection, discard_if_broken
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

SEALED_MARK = PREFIX.encode()


class ProjectionStopped(RuntimeError):
    """A `stop` projection met an event its handler keeps failing on."""


class LeaderElsewhere(RuntimeError):
    """Another instance leads the projection's source: a redrive must run there (or once it
    has stopped), never beside it."""


class _HandlerFailed(Exception):
    def __init__(self, msg: Msg | None, error: BaseException) -> None:
        super().__init__(str(error))
        self.msg = msg
        self.error = error


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        nc: NatsClient,
        projection: Projection,
        registry: EventRegistry,
        *,
        batch_size: int = 256,
        poll_interval: float = 1.0,
        ack_wait: float = 60.0,
        leases: Leases | None = None,
        privacy: Privacy | None = None,
    ) -> None:
        self.pool = pool
        # Opens sealed fields of this service's events, and of others' where granted.
        self.privacy = privacy
        self.leases = leases
        self.js = nc.jetstream()
        self.projection = projection
        self.registry = registry
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.ack_wait = ack_wait
        self.stopped: dict[str, str] = {}
        self._handled = frozenset(projection.handlers) | frozenset(projection.writers)
        self._blocking: dict[str, set[int]] = {}
        # Per source: the consumer sequence of the last message this runner received from the
        # consumer it created (0: none yet), the chain's second link (module docstring).
        self._delivered: dict[str, int] = {}
        # Sources of one projection write the same tables: one batch at a time.
        self._write_lock = asyncio.Lock()

    def durable(self, source: str) -> str:
        return f"{self.projection.name}__{source}"

    def role(self, source: str) -> str:
        return f"projection:{self.projection.name}:{source}"

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume every source until `stopping` is set or a `stop` policy halts a source."""
        await asyncio.gather(*(self._run_source(s, stopping) for s in self.projection.sources))

    async def _run_source(self, source: str, stopping: asyncio.Event) -> None:
        leases = self.leases = self.leases or Leases(self.pool)
        while not stopping.is_set():
            try:
                async with leases.leading(self.role(source)) as lease:
                    if lease is not None:
                        await hold(lease, self._consume(source, lease, stopping))
            except ProjectionStopped as stop:
                self.stopped[source] = str(stop)
                log.error("projection.stopped", projection=self.projection.name, reason=str(stop))
                return
            except Exception as error:
                # Broker or database trouble, a missing source stream: retry from the
                # checkpoint after a pause (handler failures never get here: see policy).
                log.warning(
                    "projection.retrying", projection=self.projection.name, error=repr(error)
                )
                await discard_if_broken(self.pool, error)
            await wait_any(stopping, seconds=self.poll_interval)

    async def _consume(self, source: str, lease: Lease, stopping: asyncio.Event) -> None:
        self._blocking[source] = await self._open_blocking(source)
        while not stopping.is_set():
            subscription = await self.subscribe(source)
            try:
                while not stopping.is_set():
                    try:
                        msgs = await subscription.fetch(self.batch_size, timeout=self.poll_interval)
                    except TimeoutError:  # nats-py raises its own or asyncio's: nothing yet
                        continue
                    if msgs and not await self.handle_batch(source, msgs, lease):
                        log.warning(
                            "projection.resubscribing",
                            projection=self.projection.name,
                            source=source,
                            reason="a message this runner did not receive was delivered",
                        )
                        metrics.PROJECTION_RESUBSCRIBED.labels(self.projection.name, source).inc()
                        break
            finally:
                await subscription.unsubscribe()

    async def subscribe(self, source: str) -> JetStreamContext.PullSubscription:
        """(Re)create the durable consumer to start right after our checkpoint.

        The checkpoint in Postgres, not the server's ack state, says where we are: after a
        stop or a crash the server would redeliver unacked messages in ack-timer order, not
        stream order, and acking a later one (ack policy `all`) would silently ack an earlier
        one that was never applied. Starting a fresh consumer at checkpoint + 1 rules that out.
        Only the leader of this projection and source gets here.
        """
        stream = subjects.stream_name(source)
        durable = self.durable(source)
        start = await self.checkpoint(source) + 1
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(stream, durable)
        self._delivered[source] = 0
        await self.js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                filter_subject=subjects.all_events(source),
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=start,
                ack_policy=AckPolicy.ALL,
                ack_wait=self.ack_wait,
                # No more in flight than one batch: the server cannot run ahead of an
                # unapplied message while the batch holding it is being retried.
                max_ack_pending=self.batch_size,
                # Retries happen in-process, so deliveries only grow with crashes: this
                # bound is far above any honest count and below "forever".
                max_deliver=1000,
            ),
        )
        return await self.js.pull_subscribe_bind(durable=durable, stream=stream)

    async def handle_batch(self, source: str, msgs: Sequence[Msg], lease: Lease) -> bool:
        """Apply a fetched batch and ack it; False when it broke the chain (module docstring):
        what continued it is applied and acked, and the caller must resubscribe."""
        async with self._write_lock:
            with tracing.span("projection.batch", projection=self.projection.name, size=len(msgs)):
                try:
                    taken = await self._apply(source, msgs, lease)
                except _HandlerFailed:
                    return await self._apply_one_by_one(source, msgs, lease)
                faults.hit("projection.before_ack")
                if taken:
                    await msgs[taken - 1].ack_sync()
                return taken == len(msgs)

    async def apply_unacked(self, source: str, msgs: Sequence[Msg], lease: Lease) -> int | None:
        """Apply a batch read without acks (an ordered consumer's, `projections.ordered`):
        how many leading messages were taken (fewer than `msgs` when they broke the chain),
        or None when a handler failed, nothing of the batch committed, and the durable
        consumer must take over from the checkpoint (its retries and policy apply there)."""
        async with self._write_lock:
            with tracing.span("projection.batch", projection=self.projection.name, size=len(msgs)):
                try:
                    return await self._apply(source, msgs, lease)
                except _HandlerFailed:
                    return None

    def restart_chain(self, source: str) -> None:
        """A new consumer of `source` delivers next: only the stream sequence links to it."""
        self._delivered[source] = 0

    async def _apply(
        self,
        source: str,
        msgs: Sequence[Msg],
        lease: Lease,
        *,
        failure: Unusable | None = None,
        attempts: int = 1,
    ) -> int:
        # Handlers seal the personal data they store with this service's privacy.
        with sealing_with(self.privacy):
            return await self._apply_batch(source, msgs, lease, failure, attempts)

    async def _handle(self, conn: Connection, msg: Msg, prepared: Ready) -> None:
        """A connection handler, in the trace of the command that caused the event."""
        handler = self.projection.handlers[prepared.envelope.type]
        with (
            tracing.continued_from(msg.headers),
            tracing.span(
                "projection.apply",
                projection=self.projection.name,
                event=prepared.envelope.type,
            ),
        ):
            await handler(conn, prepared.envelope, prepared.event)

    async def _apply_batch(
        self,
        source: str,
        msgs: Sequence[Msg],
        lease: Lease,
        failure: Unusable | None,
        attempts: int,
    ) -> int:
        """Apply the leading `msgs` that continue the chain, with the checkpoint, in one fenced
        transaction (all or nothing); return how many were taken (applied or skipped).

        `failure`: park the (single) message with this reason after `attempts`, instead of
        applying it."""
        name = self.projection.name
        blocking = self._blocking.get(source, set())
        delivered = self._delivered.get(source, 0)
        taken = skipped = 0
        opener = await self._load_keys(msgs)
        async with self.pool.acquire() as conn, lease.transaction(conn):
            checkpoint = await conn.fetchval(
                "SELECT stream_seq FROM projection_checkpoints"
                " WHERE projection = $1 AND source = $2 FOR UPDATE",
                name,
                source,
            )
            checkpoint = checkpoint or 0
            applied = 0
            first: int | None = None  # the first message this batch takes past the checkpoint
            store_seq: int | None = None  # the owning store's seq of the last message taken
            writers = self.projection.writers
            pending: list[Write] = []
            for msg in msgs:
                seq = msg.metadata.sequence.stream
                this_delivery = msg.metadata.sequence.consumer
                if seq <= checkpoint:  # a redelivery of what was applied already
                    delivered, taken, skipped = this_delivery, taken + 1, skipped + 1
                    continue
                if seq != checkpoint + 1 and this_delivery != delivered + 1:
                    break
                prepared = failure or prepare(msg, self.registry, self._handled, opener)
                if failure is not None:
                    await park(conn, name, source, msg, failure, "parked", attempts)
                elif isinstance(prepared, Unusable):
                    await park(conn, name, source, msg, prepared, "parked")
                    metrics.PARKED.labels(name, prepared.reason).inc()
                elif isinstance(prepared, Ready) and prepared.envelope.type in writers:
                    try:
                        pending += writers[prepared.envelope.type](
                            prepared.envelope, prepared.event
                        )
                    except Exception as error:
                        raise _HandlerFailed(msg, error) from error
                    applied += 1
                elif isinstance(prepared, Ready):
                    await _flush(conn, pending)
                    try:
                        await self._handle(conn, msg, prepared)
                    except Exception as error:
                        raise _HandlerFailed(msg, error) from error
                    applied += 1
                if seq in blocking:
                    await resolve_blocking(conn, name, source, seq)
                first, store_seq = first or seq, _store_seq(msg) or store_seq
                checkpoint, delivered, taken = seq, this_delivery, taken + 1
            await _flush(conn, pending)
            await _save_checkpoint(
                conn,
                name,
                source,
                checkpoint,
                first,
                0 if first is None else taken - skipped,
                store_seq,
            )
        self._delivered[source] = delivered
        metrics.PROJECTION_APPLIED.labels(name, source).inc(applied)
        return taken

    async def _apply_one_by_one(self, source: str, msgs: Sequence[Msg], lease: Lease) -> bool:
        """The slow path after a handler failed: isolate the event, retry it, then apply policy.
        Returns False, like `handle_batch`, when a message broke the chain."""
        for msg in msgs:
            for attempt in range(1, self.projection.max_attempts + 1):
                try:
                    taken = await self._apply(source, [msg], lease)
                    break
                except _HandlerFailed as failure:
                    if attempt < self.projection.max_attempts:
                        await msg.in_progress()
                        await asyncio.sleep(self.projection.backoff_seconds * 2 ** (attempt - 1))
                        continue
                    taken = await self._give_up(source, msg, lease, failure.error, attempt)
                    break
            if not taken:
                return False
            await msg.ack_sync()
        return True

    async def _give_up(
        self, source: str, msg: Msg, lease: Lease, error: BaseException, attempts: int
    ) -> int:
        name = self.projection.name
        reason = Unusable("handler_failed", f"{type(error).__name__}: {error}")
        prepared = prepare(msg, self.registry, self._handled, await self._load_keys([msg]))
        if isinstance(prepared, Ready):
            reason = Unusable(reason.reason, reason.detail, prepared.envelope)
        metrics.PARKED.labels(name, reason.reason).inc()
        if self.projection.policy == "park":
            return await self._apply(source, [msg], lease, failure=reason, attempts=attempts)
        async with self.pool.acquire() as conn:
            await record_blocking(conn, name, source, msg, reason, attempts)
        seq = msg.metadata.sequence.stream
        self._blocking.setdefault(source, set()).add(seq)
        raise ProjectionStopped(f"{name} stopped on {source} seq {seq}: {reason.detail}")

    async def _open_blocking(self, source: str) -> set[int]:
        rows = await self.pool.fetch(
            "SELECT stream_seq FROM parked_messages WHERE projection = $1 AND source = $2"
            " AND disposition = 'blocking' AND resolved_at IS NULL",
            self.projection.name,
            source,
        )
        return {row["stream_seq"] for row in rows}

    async def checkpoint(self, source: str) -> int:
        value = await self.pool.fetchval(
            "SELECT stream_seq FROM projection_checkpoints WHERE projection = $1 AND source = $2",
            self.projection.name,
            source,
        )
        return int(value or 0)

    async def lag(self) -> dict[str, int]:
        """Per source: the stream's last sequence minus this projection's checkpoint."""
        lags: dict[str, int] = {}
        for source in self.projection.sources:
            info = await self.js.stream_info(subjects.stream_name(source))
            lags[source] = max(0, info.state.last_seq - await self.checkpoint(source))
            metrics.PROJECTION_LAG.labels(self.projection.name, source).set(lags[source])
        return lags

    async def redrive(self, parked_id: int, *, by: str | None = None) -> bool:
        """Apply one parked event again (after a fix). True if applied now, False if it was
        already resolved; a handler error propagates and leaves it parked.

        Fenced like a batch: the writes commit only under the lease of the projection's
        source (this instance's, when it leads; else taken for the moment, when nobody leads),
        so a redrive by an instance that lost the role writes nothing (`LeaseLost`); while
        another instance leads, `LeaderElsewhere`. `by`: who asked (kept with the row)."""
        name = self.projection.name
        row = await self.pool.fetchrow(
            "SELECT source, payload FROM parked_messages WHERE id = $1 AND projection = $2"
            " AND disposition = 'parked' AND resolved_at IS NULL",
            parked_id,
            name,
        )
        if row is None:
            return False
        fake = _Replayed(bytes(row["payload"]))
        # Keys before the transaction, as for a batch: a grant may ask another service.
        opener = await self._load_keys([fake])  # type: ignore[list-item]
        prepared = prepare(fake, self.registry, self._handled, opener)  # type: ignore[arg-type]
        if isinstance(prepared, Unusable):
            msg = f"parked message {parked_id} is still unusable: {prepared.detail}"
            raise ValueError(msg)
        writer = (
            self.projection.writers.get(prepared.envelope.type)
            if isinstance(prepared, Ready)
            else None
        )
        # One writer of the projection's tables at a time in this instance (see __init__).
        async with (
            self._write_lock,
            self._leading(row["source"]) as lease,
            self.pool.acquire() as conn,
            lease.transaction(conn),
        ):
            still_open = await conn.fetchval(
                "SELECT true FROM parked_messages WHERE id = $1 AND disposition = 'parked'"
                " AND resolved_at IS NULL FOR UPDATE",
                parked_id,
            )
            if not still_open:
                return False
            with sealing_with(self.privacy):
                if isinstance(prepared, Ready) and writer is not None:
                    for write in writer(prepared.envelope, prepared.event):
                        await conn.execute(write.sql, *write.args)
                elif isinstance(prepared, Ready):
                    await self.projection.handlers[prepared.envelope.type](
                        conn, prepared.envelope, prepared.event
                    )
            await conn.execute(
                "UPDATE parked_messages SET resolved_at = clock_timestamp(),"
                " resolution = $2, resolved_by = $3 WHERE id = $1",
                parked_id,
                "skipped" if isinstance(prepared, Skip) else "redriven",
                by,
            )
            return True

    @contextlib.asynccontextmanager
    async def _leading(self, source: str) -> AsyncIterator[Lease]:
        """The lease of `source`'s role for a write outside the batch loop: the one this
        instance holds, else the role taken for the moment (nobody leads it: a stopped
        service, the CLI), else `LeaderElsewhere`."""
        role = self.role(source)
        held = self.leases.held.get(role) if self.leases is not None else None
        if held is not None and not held.lost.is_set():
            yield held
            return
        leases = self.leases or Leases(self.pool)
        try:
            lease = await leases.acquire(role)
            if lease is None:
                msg = f"{role} is led by another instance: ask it again (it may land there)"
                raise LeaderElsewhere(msg)
            try:
                yield lease
            finally:
                await leases.release(lease)
        finally:
            if leases is not self.leases:
                await leases.close()

    async def _load_keys(self, msgs: Sequence[Msg]) -> Opener | None:
        """Fetch the data keys that opening `msgs` needs (before the batch's transaction:
        a grant may ask another service), and return the opener; None without privacy."""
        privacy = self.privacy
        if privacy is None:
            return None
        opens = self.projection.opens
        # Types whose handler opens nothing (it keeps ciphertexts): no key to fetch for them.
        nothing = {wire_name for wire_name, fields in opens.items() if not fields}
        items = []
        for msg in msgs:
            if SEALED_MARK not in msg.data:  # most events carry nothing personal
                continue
            if nothing and _header_type(msg) in nothing:
                # Were the header to lie, `prepare` decodes the body's type, whose sealed
                # fields then read as erased (their keys were not fetched): never clear.
                continue
            try:
                # Only three fields are needed: a plain JSON parse, not the envelope's model
                # (measured: parsing the envelopes here for `prepare` to reuse was slower).
                body = from_json(msg.data)
                items.append((str(body["type"]), str(body["stream_id"]), dict(body["data"])))
            except (ValueError, KeyError, TypeError):
                continue  # `prepare` parks it as malformed
        await privacy.load(items, opens)
        if not opens:
            return privacy.open

        def opener(wire_name: str, stream_id: str, data: dict[str, Any]) -> dict[str, Any]:
            return privacy.open(wire_name, stream_id, data, opens.get(wire_name))

        return opener


async def apply_writes(conn: Connection, writes: Sequence[Write]) -> None:
    """Run writes in order, each run of identical SQL as one `executemany`, or as one
    statement over arrays where the writes say how (`Write.fold`)."""
    for (sql, fold), group in itertools.groupby(writes, key=_statement):
        rows = [write.args for write in group]
        if fold is not None and len(rows) > 1:
            await conn.execute(fold, *(list(column) for column in zip(*rows, strict=True)))
        else:
            await conn.executemany(sql, rows)


async def _flush(conn: Connection, pending: list[Write]) -> None:
    """Run the batch's buffered writes (`apply_writes`) and forget them."""
    try:
        await apply_writes(conn, pending)
    except Exception as error:
        # Not attributable to one message here: the slow path retries them one by one.
        raise _HandlerFailed(None, error) from error
    pending.clear()


def _statement(write: Write) -> tuple[str, str | None]:
    return write.sql, write.fold


def _header_type(msg: Msg) -> str | None:
    headers = getattr(msg, "headers", None)  # a replayed parked payload has none
    return headers.get(TYPE_HEADER) if headers else None


class _Replayed:
    """Just enough of a NATS message for `prepare` to read a parked payload."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - prepare reads only .data
        raise AttributeError(name)


async def _save_checkpoint(
    conn: Connection,
    name: str,
    source: str,
    checkpoint: int,
    first: int | None,
    taken: int,
    store_seq: int | None,
) -> None:
    """Where the projection stands on `source`, what it took, and the owning store's `seq`
    of the last message taken (read-your-writes), in the batch's transaction."""
    await conn.execute(
        "INSERT INTO projection_checkpoints (projection, source, stream_seq, first_seq,"
        " taken, store_seq) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (projection, source) DO UPDATE"
        " SET stream_seq = excluded.stream_seq, updated_at = clock_timestamp(),"
        " first_seq = coalesce(projection_checkpoints.first_seq, excluded.first_seq),"
        " taken = projection_checkpoints.taken + excluded.taken,"
        " store_seq = greatest(projection_checkpoints.store_seq, excluded.store_seq)",
        name,
        source,
        checkpoint,
        first,
        taken,
        store_seq,
    )


def _store_seq(msg: Msg) -> int | None:
    """The owning store's `seq` the relay put on the message (read-your-writes, see
    `ishc_runtime.service.consistency`); None for a message without it."""
    value = (msg.headers or {}).get(SEQ_HEADER)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
