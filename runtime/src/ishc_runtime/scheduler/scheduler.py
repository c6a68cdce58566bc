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

Batches (issue #19: a province's members joining schedule tens of thousands of screenings at
once). A round claims up to `batch_size` due timers in one transaction (`FOR UPDATE SKIP
LOCKED`: a second worker takes others), dispatches them together — through `dispatch_many`
when the service gives one (its routes hand same-type commands to a batch handler, which reads
the facts of all of them at once), otherwise `concurrency` at a time through `dispatch` — and
settles every one of them in one `UPDATE` in that same transaction. What stays per timer:
- its outcome: each command gets its own success, refusal or failure, so one that fails does
  not fail the others; and if the batch as a whole fails or overruns `dispatch_timeout`, each
  command is dispatched again on its own (idempotent: the ones that got through answer their
  first result), so a batch handler's bug degrades to the one-by-one path instead of stopping;
- its bound: a round waits for its batch at most `dispatch_timeout`, then for its commands
  one by one at most that long again; a command still running then is left for a retry
  (after `max_attempts`, no more tries), and one whose turn had not come is left as it was,
  for the next round: a slow timer delays the others by seconds, never stops them. A round
  that ran out of time halves the next one's size (doubled back after one that did not), so
  a loaded machine settles smaller rounds rather than redoing large ones;
- its exactly-once: the command_id is the key's, so a crash after the dispatch and before the
  settling commits re-dispatches the same commands, and the store appends nothing twice;
- its fencing: the round's transaction is fenced by the scheduler lease first, so a deposed
  leader neither claims nor settles anything, and no other replica can take the role until
  the round commits or its connection is dropped (the fence's idle limit, twice the ttl).

The clock is injected: what is due is decided by `clock.now()`, never by the database's or the
machine's time, so tests move a `FakeClock` instead of waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
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
from ishc_runtime.store.eventstore import ConcurrencyError
from ishc_runtime.store.pool import discard_if_broken
from ishc_runtime.waits import wait_any

log = structlog.get_logger(__name__)

Dispatch = Callable[[CommandEnvelope], Awaitable[dict[str, Any]]]
# Many commands at once; per command, in order: its result, or the exception it raised (a
# `DomainError` for a refusal). Raising (or answering the wrong number) fails the whole batch.
DispatchMany = Callable[[Sequence[CommandEnvelope]], Awaitable[Sequence[Any]]]
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
_NOT_STARTED = object()  # a command a round had no time left to dispatch

_PENDING = "fired_at IS NULL AND failed_at IS NULL AND cancelled_at IS NULL"
# The rows stay locked until the round commits: a second worker (a deposed replica, or a
# direct `fire_due`) skips them, and a cancel waits for the round and then finds them fired.
_CLAIM = (
    f"SELECT key, due_at, command, attempts FROM timers WHERE {_PENDING}"
    " AND due_at <= $1 AND (retry_at IS NULL OR retry_at <= $1)"
    " ORDER BY due_at, key LIMIT $2 FOR UPDATE SKIP LOCKED"
)
_SETTLE = (
    "UPDATE timers t SET attempts = t.attempts + 1, last_error = s.error, fired_at = s.fired_at,"
    " failed_at = s.failed_at, retry_at = s.retry_at"
    " FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[],"
    " $5::timestamptz[]) AS s(key, error, fired_at, failed_at, retry_at)"
    " WHERE t.key = s.key"
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
    full: bool  # as many as the round could claim: more may be due right now


@dataclass(frozen=True)
class _Claimed:
    key: str
    attempts_before: int
    command: CommandEnvelope


@dataclass(frozen=True)
class _Settled:
    key: str
    command_type: str
    attempts_before: int
    outcome: Outcome
    error: str | None


class Scheduler:
    """Schedules and fires one service's durable timers.

    `dispatch` (and `dispatch_many`) must be idempotent by `command_id` (routing to a handler
    that appends through `CommandProcessor` is). They run while the round's rows are locked,
    on other connections of `pool`: so `pool` needs at least `concurrency + 1` connections to
    go at full speed, and a handler must not cancel or reschedule a timer (its own or another
    due one: it may be in the same round). Under `run`, one replica fires (the lease
    `scheduler`), and a round's settlement commits only while the lease is held.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        dispatch: Dispatch,
        *,
        dispatch_many: DispatchMany | None = None,
        batch_size: int = 200,
        concurrency: int = 1,
        dispatch_timeout: float = 5.0,
        poll_interval: float = 1.0,
        max_attempts: int = 5,
        retry_backoff: timedelta = timedelta(seconds=5),
        leases: Leases | None = None,
    ) -> None:
        if batch_size < 1 or max_attempts < 1 or concurrency < 1:
            msg = "batch_size, concurrency and max_attempts must be at least 1"
            raise ValueError(msg)
        if dispatch_timeout <= 0:
            msg = "dispatch_timeout must be positive"
            raise ValueError(msg)
        self.pool = pool
        self.clock = clock
        self.dispatch = dispatch
        self.dispatch_many = dispatch_many
        self.batch_size = batch_size
        # How many the next round claims: halved when a round runs out of time (a loaded
        # machine, a slow dependency), doubled back after a round that did not, so an
        # overloaded scheduler keeps settling what it can instead of redoing whole rounds.
        self.round_size = batch_size
        self.concurrency = concurrency
        # A round's transaction is idle while its commands run; under a lease it must stay
        # well within the lease's idle-in-transaction limit (twice the ttl), twice (the batch, then
        # its commands one by one).
        self.dispatch_timeout = dispatch_timeout
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
        async with conn.transaction():
            if lease is not None:
                await lease.fence(conn)
            size = self.round_size
            rows = await conn.fetch(_CLAIM, now, size)
            if not rows:
                return _Round(claimed=0, fired=0, full=False)
            settled: list[_Settled] = []
            claimed: list[_Claimed] = []
            for row in rows:
                key, attempts_before = row["key"], row["attempts"]
                try:
                    command = CommandEnvelope.model_validate(row["command"]).model_copy(
                        # The fact happens when due, whenever it is fired; and the id is the
                        # key's even if the stored command predates it.
                        update={"occurred_at": row["due_at"], "command_id": timer_command_id(key)}
                    )
                except ValidationError as unreadable:
                    # No retry makes a stored command valid: set it aside for an operator
                    # rather than let it stop the loop and every other timer with it.
                    reason = f"unreadable command: {_describe(unreadable)}"
                    stored = _stored_type(row["command"])
                    settled.append(_Settled(key, stored, attempts_before, "failed", reason))
                    continue
                claimed.append(_Claimed(key, attempts_before, command))
            settled += await self._dispatch_round(claimed)
            # A crash here (after the appends, before the marks) is what the key-derived
            # command_ids make harmless: the next round re-dispatches the same commands.
            faults.hit("scheduler.after_dispatch")
            await self._settle(conn, settled)
        for done in settled:
            self._report(
                done.key, done.command_type, done.outcome, done.error, done.attempts_before + 1
            )
        fired = sum(done.outcome in {"fired", "refused"} for done in settled)
        return _Round(claimed=len(rows), fired=fired, full=len(rows) >= size)

    async def _dispatch_round(self, claimed: list[_Claimed]) -> list[_Settled]:
        if not claimed:
            return []
        commands = [c.command for c in claimed]
        answers: Sequence[Any] | None = None
        ran_out = False
        if self.dispatch_many is not None and len(commands) > 1:
            with tracing.span("scheduler.fire_batch", commands=len(commands)):
                try:
                    answers = await asyncio.wait_for(
                        self.dispatch_many(commands), self.dispatch_timeout
                    )
                    if len(answers) != len(commands):
                        msg = f"{len(answers)} answers for {len(commands)} commands"
                        raise RuntimeError(msg)
                except Exception as failure:  # the batch as a whole: each command alone
                    log.warning(
                        "scheduler.batch_failed",
                        error=f"{type(failure).__name__}: {failure}",
                        commands=len(commands),
                    )
                    ran_out = isinstance(failure, TimeoutError)
                    answers = None
        # One by one from here, within one more `dispatch_timeout` for the whole round: with
        # the batch's, the round's transaction stays idle well within the fence's limit.
        deadline = asyncio.get_running_loop().time() + self.dispatch_timeout
        if answers is None:
            limit = asyncio.Semaphore(self.concurrency)
            answers = await asyncio.gather(
                *(self._dispatch_one(c, limit, deadline) for c in commands)
            )
        answers = list(answers)
        # Timers of one round that write the same stream (deposits into one account) collide
        # when run together, beyond what the processor's quick retries absorb: those run again
        # one after the other, as they would have one timer at a time.
        alone = asyncio.Semaphore(1)
        for n, answer in enumerate(answers):
            if isinstance(answer, ConcurrencyError):
                answers[n] = await self._dispatch_one(commands[n], alone, deadline, answer)
        if ran_out or any(a is _NOT_STARTED or isinstance(a, TimeoutError) for a in answers):
            self.round_size = max(1, self.round_size // 2)
        else:
            self.round_size = min(self.batch_size, self.round_size * 2)
        # A command the round had no time left to start is not settled: its row is released
        # at commit, unchanged, and the next round takes it (no attempt counted against it).
        return [
            _Settled(c.key, c.command.type, c.attempts_before, *self._outcome(a, c.attempts_before))
            for c, a in zip(claimed, answers, strict=True)
            if a is not _NOT_STARTED
        ]

    async def _dispatch_one(
        self,
        command: CommandEnvelope,
        limit: asyncio.Semaphore,
        deadline: float,
        unstarted: Any = _NOT_STARTED,
    ) -> Any:
        """The command's result or the exception it raised; `unstarted` when the round's
        deadline has passed before its turn came."""
        async with limit:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return unstarted
            with (
                tracing.span("scheduler.fire", command=command.type),
                command_context_for(command),
            ):
                try:
                    return await asyncio.wait_for(self.dispatch(command), left)
                except TimeoutError:
                    return TimeoutError(f"no answer within {self.dispatch_timeout:g} s")
                except Exception as error:  # its outcome, not the round's
                    return error

    def _outcome(self, answer: Any, attempts_before: int) -> tuple[Outcome, str | None]:
        if isinstance(answer, DomainError):
            return "refused", f"{answer.type}: {answer}"
        if isinstance(answer, BaseException):
            # Any other failure is retried, a bounded number of times.
            outcome: Outcome = "failed" if attempts_before + 1 >= self.max_attempts else "retry"
            return outcome, f"{type(answer).__name__}: {answer}"
        return "fired", None

    async def _settle(self, conn: Connection, settled: list[_Settled]) -> None:
        """Every timer of the round in one statement, in the round's (fenced) transaction."""
        now = self.clock.now()
        await conn.execute(
            _SETTLE,
            [s.key for s in settled],
            [s.error[:_MAX_ERROR_LENGTH] if s.error else None for s in settled],
            [now if s.outcome in {"fired", "refused"} else None for s in settled],
            [now if s.outcome == "failed" else None for s in settled],
            [
                now + self._backoff(s.attempts_before + 1) if s.outcome == "retry" else None
                for s in settled
            ],
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
            if not done.full:
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
