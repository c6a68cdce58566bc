"""Leases: at most one active worker per role among a service's replicas, fenced at commit.

A session advisory lock (what we had) dies with its session and the holder does not know: after
a Postgres restart or a terminated backend, a second replica took the lock while the first kept
applying batches, and read models silently lost events (issue #17). A lease is a row of the
service's `leases` table instead (ADR 0004):

- **acquire**: take the row when it is free or expired, with `epoch + 1`. Expiry is judged by
  the database's clock, the one clock every replica shares.
- **renew**: one heartbeat per process pushes `expires_at` forward for every lease it holds, in
  one statement, on a connection borrowed for that moment: idle roles hold no connection.
- **fence**: the first statement of every transaction that commits a role's work reads the row
  `FOR KEY SHARE` with its (holder, epoch). A takeover locks the row `FOR UPDATE`, so each waits
  for the other: either the work commits before the takeover, or it sees the new epoch and
  rolls back. Renewal is a plain UPDATE (`FOR NO KEY UPDATE`), which KEY SHARE does not block,
  so a long batch never holds up its own heartbeat.
- **lost**: the heartbeat finds the row taken, or cannot renew before the lease would have
  expired (the database gone, the process paused): `lost` is set, `hold` cancels the role's
  work at once, and the role competes again. A paused process whose lease ran out finds its
  next commit refused by the fence even before its heartbeat runs.

Work that is not a Postgres commit is fenced by the role itself: the relay publishes with
`Nats-Expected-Last-Sequence`, the projection runner only moves its checkpoint forward from the
message its batch continues.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import structlog

from ishc_runtime.observability import metrics
from ishc_runtime.store.pool import Connection, discard_if_broken

log = structlog.get_logger(__name__)

T = TypeVar("T")

DEFAULT_TTL = 10.0

# Taking a role locks its row FOR UPDATE, the one row lock that conflicts with the fence's
# KEY SHARE (an INSERT .. ON CONFLICT DO UPDATE would only take NO KEY UPDATE, and not wait).
_CLAIM = "SELECT expires_at <= clock_timestamp() AS free FROM leases WHERE role = $1 FOR UPDATE"
_FIRST = """
INSERT INTO leases (role, holder, epoch, expires_at, acquired_at, renewed_at)
VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3), clock_timestamp(),
        clock_timestamp())
ON CONFLICT (role) DO NOTHING
RETURNING epoch
"""
_TAKE = """
UPDATE leases SET holder = $2, epoch = epoch + 1,
                  expires_at = clock_timestamp() + make_interval(secs => $3),
                  acquired_at = clock_timestamp(), renewed_at = clock_timestamp()
WHERE role = $1
RETURNING epoch
"""
_RENEW = """
UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3),
                  renewed_at = clock_timestamp()
FROM unnest($2::text[], $4::bigint[]) AS held(role, epoch)
WHERE leases.role = held.role AND leases.epoch = held.epoch AND leases.holder = $1
RETURNING leases.role
"""
_RELEASE = (
    "UPDATE leases SET expires_at = clock_timestamp()"
    " WHERE role = $1 AND holder = $2 AND epoch = $3"
)
# The idle-in-transaction timeout bounds how long a paused holder, stopped in the middle of a
# fenced transaction, can keep a takeover waiting on its row lock.
_FENCE = (
    "SELECT set_config('idle_in_transaction_session_timeout', $4, true) FROM leases"
    " WHERE role = $1 AND holder = $2 AND epoch = $3 FOR KEY SHARE"
)


def default_instance_id() -> str:
    """Host, process and a random tail: unique among replicas, readable in `leases`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaseLost(RuntimeError):
    """The role's lease is no longer this instance's: its work must not commit."""


@dataclass(eq=False)
class Lease:
    role: str
    holder: str
    epoch: int
    ttl: float
    # Monotonic instant before which the database cannot have expired the lease: the send
    # time of the last successful renewal plus the ttl.
    deadline: float
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    lost_at: str | None = None

    async def fence(self, conn: Connection) -> None:
        """First statement of a transaction that commits this role's work; raises `LeaseLost`
        if another instance holds the role now (or is taking it: then it waits for that)."""
        timeout = f"{max(1, int(2 * self.ttl * 1000))}ms"
        if await conn.fetchrow(_FENCE, self.role, self.holder, self.epoch, timeout) is None:
            self.mark_lost("fenced")
            msg = f"lease {self.role} (epoch {self.epoch}) is no longer held by {self.holder}"
            raise LeaseLost(msg)

    @contextlib.asynccontextmanager
    async def transaction(self, conn: Connection) -> AsyncIterator[None]:
        """A transaction that commits only while this lease is held."""
        async with conn.transaction():
            await self.fence(conn)
            yield

    def mark_lost(self, why: str) -> None:
        if not self.lost.is_set():
            self.lost.set()
            self.lost_at = datetime.now(UTC).isoformat(timespec="seconds")
            metrics.LEASE_LOST.labels(self.role).inc()
            metrics.LEASE_HELD.labels(self.role).set(0)
            log.warning("lease.lost", role=self.role, epoch=self.epoch, why=why)


class Leases:
    """The leases one process competes for, and their heartbeat.

    One per process (`Service` makes it); components built alone (tests, ops tools) make their
    own. The heartbeat runs while at least one lease is held.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        holder: str | None = None,
        *,
        ttl: float = DEFAULT_TTL,
        acquire_timeout: float = 1.0,
    ) -> None:
        if ttl <= 0:
            msg = "a lease ttl must be positive"
            raise ValueError(msg)
        self.pool = pool
        self.holder = holder or default_instance_id()
        self.ttl = ttl
        self.acquire_timeout = acquire_timeout
        self.held: dict[str, Lease] = {}
        # When each role was last lost by this instance (shown in /readyz).
        self.lost_at: dict[str, str] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        # A renewal in flight when a role is released would push its expiry forward again
        # after the release, and the successor would wait a whole ttl: one at a time.
        self._renewing = asyncio.Lock()

    @property
    def renew_every(self) -> float:
        return self.ttl / 3

    async def acquire(self, role: str) -> Lease | None:
        """The lease on `role` if it is free or expired (a new epoch), else None."""
        sent = time.monotonic()
        try:
            async with (
                self.pool.acquire(timeout=self.acquire_timeout) as conn,
                conn.transaction(),
            ):
                # A holder in the middle of a fenced commit keeps the row locked: ask again at
                # the next round rather than queue behind it.
                await conn.execute("SET LOCAL lock_timeout = '1s'")
                claim = await conn.fetchrow(_CLAIM, role)
                if claim is None:  # never held: the first to insert it wins
                    epoch = await conn.fetchval(_FIRST, role, self.holder, self.ttl)
                elif claim["free"]:
                    epoch = await conn.fetchval(_TAKE, role, self.holder, self.ttl)
                else:
                    epoch = None
        except asyncpg.LockNotAvailableError:
            return None
        if epoch is None:
            return None
        lease = Lease(role, self.holder, int(epoch), self.ttl, sent + self.ttl)
        self.held[role] = lease
        metrics.LEASE_HELD.labels(role).set(1)
        metrics.LEASE_ACQUIRED.labels(role).inc()
        log.info("lease.acquired", role=role, epoch=lease.epoch, holder=self.holder)
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat())
        return lease

    async def release(self, lease: Lease) -> None:
        """Give the role up now, so another instance need not wait for the expiry."""
        async with self._renewing:
            if self.held.get(lease.role) is lease:
                del self.held[lease.role]
                self._changed.set()
            if lease.lost_at is not None:
                self.lost_at[lease.role] = lease.lost_at
                return
            metrics.LEASE_HELD.labels(lease.role).set(0)
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                async with self.pool.acquire(timeout=self.acquire_timeout) as conn:
                    await conn.execute(_RELEASE, lease.role, lease.holder, lease.epoch)
        log.info("lease.released", role=lease.role, epoch=lease.epoch)

    @contextlib.asynccontextmanager
    async def leading(self, role: str) -> AsyncIterator[Lease | None]:
        """`async with leases.leading(role) as lease`: None when another instance leads."""
        lease = await self.acquire(role)
        try:
            yield lease
        finally:
            if lease is not None:
                await self.release(lease)

    async def renew(self) -> None:
        """Push every held lease's expiry forward; mark those another instance took as lost,
        and those past their deadline when the database cannot be reached."""
        async with self._renewing:
            await self._renew()

    async def _renew(self) -> None:
        leases = [lease for lease in self.held.values() if not lease.lost.is_set()]
        if not leases:
            return
        sent = time.monotonic()
        try:
            async with asyncio.timeout(self.renew_every):
                async with self.pool.acquire() as conn:
                    renewed = {
                        row["role"]
                        for row in await conn.fetch(
                            _RENEW,
                            self.holder,
                            [lease.role for lease in leases],
                            self.ttl,
                            [lease.epoch for lease in leases],
                        )
                    }
        except Exception as error:  # the database gone, or a connection it left broken
            await discard_if_broken(self.pool, error)
            now = time.monotonic()
            for lease in leases:
                if now >= lease.deadline:
                    lease.mark_lost(f"not renewed in time: {error!r}")
            return
        for lease in leases:
            if lease.role in renewed:
                lease.deadline = sent + self.ttl
            else:
                lease.mark_lost("taken by another instance")

    async def _beat(self) -> None:
        while self.held:
            self._changed.clear()
            await self.renew()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.renew_every):
                    # Woken early only to notice that nothing is held any more.
                    while self.held:
                        await self._changed.wait()
                        self._changed.clear()

    async def close(self) -> None:
        """Release everything and stop the heartbeat (at shutdown)."""
        for lease in list(self.held.values()):
            await self.release(lease)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat


async def hold(lease: Lease, work: Coroutine[Any, Any, T]) -> T | None:
    """Run a role's `work` while `lease` is held; cancel it the moment the lease is lost.

    Returns the work's result, or None when the loss cut it short (already logged). Any other
    failure of the work propagates."""
    task = asyncio.ensure_future(work)
    lost = asyncio.ensure_future(lease.lost.wait())
    try:
        await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        lost.cancel()
        if not task.done():
            task.cancel()
            # Wait for the work to unwind (its transaction rolls back) before competing again.
            await asyncio.wait({task})
    if task.cancelled():
        return None
    try:
        return task.result()
    except LeaseLost:
        return None
