"""Durable timers: a command due at an instant, fired once through the normal command path.

Time-based facts (a loan overdue, a weekly visit quota missed, a member reaching an
entitlement age) are commands that wait in the service's own `timers` table until due
(DESIGN §7). Firing hands the command to `dispatch`, which routes it to the service's handler
and so appends through `CommandProcessor` like any other command.

Exactly-once in effect, with no distributed transaction: the command's `command_id` is derived
from the timer key, so if the process dies after the append and before the timer is marked
fired, the next round re-dispatches the *same* command and the store's idempotency returns the
first result without appending again.

Outcomes of one dispatch:
- success            → fired (`fired_at`);
- a `DomainError`    → fired too, with the refusal in `last_error`: a rule said no, and asking
                       again would get the same answer (the fact is refused, not retried);
- anything else      → `attempts + 1`, retried after a backoff; after `max_attempts` it is
                       marked failed (`failed_at`), skipped, and visible to operators, who can
                       `reschedule` it.

The clock is injected: what is due is decided by `clock.now()`, never by the database's or the
machine's time, so tests move a `FakeClock` instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias
from uuid import UUID, uuid5

import asyncpg
import structlog
from pydantic import ValidationError

from ishc_contracts import CommandEnvelope
from ishc_contracts.errors import DomainError
from ishc_runtime import faults
from ishc_runtime.clock import Clock, as_utc
from ishc_runtime.leases import Lease, Leases, hold
from ishc_runtime.observability import metrics, tracing
from ishc_runtime.observability.logging import command_context_for
from ishc_runtime.store.pool import discard_if_broken
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

Dispatch = Callable[[CommandEnvelope], Awaitable[dict[str, Any]]]
Outcome = Literal["fired", "refused", "retry", "failed"]
if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

# A connection of the caller's, or one the pool lends (`pool.acquire()`). A string: the
# stubs make the proxy generic, the runtime class is not subscriptable.
Connection: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"

LEADER_ROLE = "scheduler"
# Fixed forever: changing it would give every pending timer a new command_id, and a timer
# dispatched just before an upgrade would then append a second time after it.
TIMER_NAMESPACE = UUID("6f0d52c1-3f4e-5a0b-9d1e-7c2a4b8e0f13")
MAX_KEY_LENGTH = 500
_MAX_ERROR_LENGTH = 2000
_MAX_BACKOFF = timedelta(hours=1)

_PENDING = "fired_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL"
_DUE = (
    f"SELECT key FROM timers WHERE {_PENDING}"
    " AND due_at <= $1 AND (retry_at IS NULL OR retry_at <= $1)"
    " ORDER BY due_at, key LIMIT $2"
)
# Re-checked under the row lock: between the listing and the claim, another worker may have
# fired it, or someone cancelled or rescheduled it.
_CLAIM = (
    "SELECT key, due_at, command, attempts FROM timers"
    f" WHERE key = $1 AND {_PENDING} AND due_at <= $2 AND (retry_at IS NULL OR retry_at <= $2)"
    " FOR UPDATE SKIP LOCKED"
)
_COLUMNS = (
    "key, due_at, command, created_at, fired_at, attempts, last_error, retry_at, failed_at,"
    " cancelled_at"
)


def timer_command_id(key: str) -> UUID:
    """The command_id every dispatch of timer `key` carries: the same after any crash."""
    return uuid5(TIMER_NAMESPACE, key)


@dataclass(frozen=True)
class Timer:
    key: str
    due_at: datetime
    command: CommandEnvelope
    created_at: datetime
    fired_at: datetime | None
    attempts: int
    last_error: str | None
    retry_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None

    @property
    def status(self) -> Literal["pending", "fired", "failed", "cancelled"]:
        if self.fired_at is not None:
            return "fired"
        if self.cancelled_at is not None:
            return "cancelled"
        if self.failed_at is not None:
            return "failed"
        return "pending"


@dataclass(frozen=True)
class _Round:
    claimed: int
    fired: int


class Scheduler:
    """Schedules and fires one service's durable timers.

    `dispatch` must be idempotent by `command_id` (routing to a handler that appends through
    `CommandProcessor` is). It runs while the timer's row is locked, on another connection of
    `pool`: so `pool` needs at least two connections, and a handler must not cancel or
    reschedule the timer it is fired by. Under `run`, one replica fires (the lease
    `scheduler`), and each timer's settlement commits only while the lease is held.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        dispatch: Dispatch,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        max_attempts: int = 5,
        retry_backoff: timedelta = timedelta(seconds=5),
        leases: Leases | None = None,
    ) -> None:
        if batch_size < 1 or max_attempts < 1:
            msg = "batch_size and max_attempts must be at least 1"
            raise ValueError(msg)
        self.pool = pool
        self.clock = clock
        self.dispatch = dispatch
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff
        self.leases = leases
        self._wake = asyncio.Event()

    # -- scheduling ------------------------------------------------------------------------

    async def schedule(
        self,
        key: str,
        due_at: datetime,
        command: CommandEnvelope,
        connection: Connection | None = None,
    ) -> bool:
        """Add a timer; False (and nothing changes) when `key` exists, whatever its state.

        The key names the fact ("loan-overdue:<loan id>:<instalment>"): scheduling it again
        (a redelivered reaction) is a no-op, even after it fired or was cancelled. Pass
        `connection` to schedule inside a transaction of the caller's (a projection batch).
        The stored command gets `command_id = timer_command_id(key)`.
        """
        _check_key(key)
        stamped = command.model_copy(update={"command_id": timer_command_id(key)})
        inserted = await (connection or self.pool).fetchval(
            "INSERT INTO timers (key, due_at, command) VALUES ($1, $2, $3)"
            " ON CONFLICT (key) DO NOTHING RETURNING true",
            key,
            as_utc(due_at),
            stamped.model_dump_json(),
        )
        if inserted:
            self._wake.set()
        return bool(inserted)

    async def reschedule(
        self, key: str, due_at: datetime, connection: Connection | None = None
    ) -> bool:
        """Move a timer that has not fired nor been cancelled; False otherwise.

        A failed timer is revived by this (attempts start again): it is how an operator
        re-drives one once the cause is fixed.
        """
        moved = await (connection or self.pool).fetchval(
            "UPDATE timers SET due_at = $2, attempts = 0, retry_at = NULL, failed_at = NULL"
            " WHERE key = $1 AND fired_at IS NULL AND cancelled_at IS NULL RETURNING true",
            key,
            as_utc(due_at),
        )
        if moved:
            self._wake.set()
        return bool(moved)

    async def cancel(self, key: str, connection: Connection | None = None) -> bool:
        """Stop a timer that has not fired; False when it fired already (or never existed).

        A timer being fired right now is locked: cancel waits for that to finish and then
        reports False, since the fact happened.
        """
        cancelled = await (connection or self.pool).fetchval(
            "UPDATE timers SET cancelled_at = $2"
            " WHERE key = $1 AND fired_at IS NULL AND cancelled_at IS NULL RETURNING true",
            key,
            self.clock.now(),
        )
        return bool(cancelled)

    async def get(self, key: str) -> Timer | None:
        row = await self.pool.fetchrow(f"SELECT {_COLUMNS} FROM timers WHERE key = $1", key)
        if row is None:
            return None
        return Timer(
            key=row["key"],
            due_at=row["due_at"],
            command=CommandEnvelope.model_validate(row["command"]),
            created_at=row["created_at"],
            fired_at=row["fired_at"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            retry_at=row["retry_at"],
            failed_at=row["failed_at"],
            cancelled_at=row["cancelled_at"],
        )

    def wake(self) -> None:
        """Look for due timers now rather than at the next poll (after moving a fake clock)."""
        self._wake.set()

    # -- firing ----------------------------------------------------------------------------

    async def fire_due(self, connection: Connection | None = None) -> int:
        """Fire up to `batch_size` due timers; return how many were marked fired.

        Refused ones count (they are settled); ones left for a retry or marked failed do not.
        """
        if connection is not None:
            return (await self._fire_round(connection)).fired
        async with self.pool.acquire() as conn:
            return (await self._fire_round(conn)).fired

    async def _fire_round(self, conn: Connection, lease: Lease | None = None) -> _Round:
        now = self.clock.now()
        keys = [row["key"] for row in await conn.fetch(_DUE, now, self.batch_size)]
        fired = 0
        for key in keys:
            outcome = await self._fire_one(conn, key, now, lease)
            fired += outcome in {"fired", "refused"}
        return _Round(claimed=len(keys), fired=fired)

    async def _fire_one(
        self, conn: Connection, key: str, now: datetime, lease: Lease | None
    ) -> Outcome | None:
        # One short transaction per timer: its row lock keeps a second worker (a deposed
        # replica, or a direct `fire_due`) from dispatching it concurrently, and a slow or
        # failing timer does not hold back the rest of the batch.
        async with conn.transaction():
            if lease is not None:
                await lease.fence(conn)
            row = await conn.fetchrow(_CLAIM, key, now)
            if row is None:
                return None
            attempts_before: int = row["attempts"]
            try:
                command = CommandEnvelope.model_validate(row["command"]).model_copy(
                    # The fact happens when due, whenever it is fired; and the id is the key's
                    # even if the stored command predates it.
                    update={"occurred_at": row["due_at"], "command_id": timer_command_id(key)}
                )
            except ValidationError as unreadable:
                # No retry makes a stored command valid: set it aside for an operator rather
                # than let it stop the loop and every other timer with it.
                reason = f"unreadable command: {_describe(unreadable)}"
                await self._settle(conn, key, attempts_before, "failed", reason)
                self._report(
                    key, _stored_type(row["command"]), "failed", reason, attempts_before + 1
                )
                return "failed"
            with (
                tracing.span("scheduler.fire", key=key, command=command.type),
                command_context_for(command),
            ):
                outcome, error = await self._dispatch(command, attempts_before)
                # A crash here (after the append, before the mark) is what the key-derived
                # command_id makes harmless: the next round re-dispatches the same command.
                faults.hit("scheduler.after_dispatch")
                await self._settle(conn, key, attempts_before, outcome, error)
                self._report(key, command.type, outcome, error, attempts_before + 1)
        return outcome

    async def _dispatch(
        self, command: CommandEnvelope, attempts_before: int
    ) -> tuple[Outcome, str | None]:
        try:
            await self.dispatch(command)
        except DomainError as refused:
            return "refused", f"{refused.type}: {refused}"
        except Exception as failure:  # any other failure is retried, a bounded number of times
            outcome: Outcome = "failed" if attempts_before + 1 >= self.max_attempts else "retry"
            return outcome, f"{type(failure).__name__}: {failure}"
        return "fired", None

    async def _settle(
        self,
        conn: Connection,
        key: str,
        attempts_before: int,
        outcome: Outcome,
        error: str | None,
    ) -> None:
        now = self.clock.now()
        fired_at = now if outcome in {"fired", "refused"} else None
        failed_at = now if outcome == "failed" else None
        retry_at = now + self._backoff(attempts_before + 1) if outcome == "retry" else None
        await conn.execute(
            "UPDATE timers SET attempts = attempts + 1, last_error = $2, fired_at = $3,"
            " failed_at = $4, retry_at = $5 WHERE key = $1",
            key,
            error[:_MAX_ERROR_LENGTH] if error else None,
            fired_at,
            failed_at,
            retry_at,
        )

    def _backoff(self, attempts: int) -> timedelta:
        """Doubling waits between attempts, so a struggling dependency is not hammered."""
        return min(self.retry_backoff * (1 << min(attempts - 1, 30)), _MAX_BACKOFF)

    @staticmethod
    def _report(
        key: str, command_type: str, outcome: Outcome, error: str | None, attempts: int
    ) -> None:
        metrics.TIMERS_FIRED.labels(outcome).inc()
        fields: dict[str, Any] = {"key": key, "command": command_type, "attempts": attempts}
        if outcome == "fired":
            log.info("timer.fired", **fields)
        elif outcome == "refused":
            log.warning("timer.refused", error=error, **fields)
        elif outcome == "retry":
            log.warning("timer.retrying", error=error, **fields)
        else:
            log.error("timer.failed", error=error, **fields)

    # -- the loop --------------------------------------------------------------------------

    async def run(self, stopping: asyncio.Event) -> None:
        """Fire due timers until `stopping` is set; one replica (the lease holder) does it."""
        leases = self.leases = self.leases or Leases(self.pool)
        while not stopping.is_set():
            try:
                async with leases.leading(LEADER_ROLE) as lease:
                    if lease is not None:
                        await hold(lease, self._lead(lease, stopping))
            except Exception as error:
                # A dead scheduler would stop every timer silently: log, back off, retry. A
                # timer dispatched and not marked is dispatched again, with the same id.
                log.warning("scheduler.error", error=repr(error), exc_info=True)
                await discard_if_broken(self.pool, error)
            await wait_any(stopping, seconds=self.poll_interval)

    async def _lead(self, lease: Lease, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self._wake.clear()
            async with self.pool.acquire() as conn:
                done = await self._fire_round(conn, lease)
            # A full batch means more may be due right now; otherwise wait for the next poll
            # or for a timer scheduled in this process.
            if done.claimed < self.batch_size:
                await wait_any(stopping, self._wake, seconds=self.poll_interval)


def _describe(error: ValidationError) -> str:
    # Locations and expectations only: the input may hold personal data, and this text is
    # stored and logged.
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)
    )


def _stored_type(stored: Any) -> str:
    return str(stored.get("type", "?")) if isinstance(stored, dict) else "?"


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        msg = f"a timer key must have 1 to {MAX_KEY_LENGTH} characters"
        raise ValueError(msg)
