"""Durable timers against a real Postgres, a fake clock and the real command path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from prometheus_client import REGISTRY

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_runtime import faults
from ishc_runtime.clock import FakeClock, vn_date, vn_start_of_day
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.scheduler import Scheduler, timer_command_id
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.testing.background import running
from ishc_runtime.testing.sample_domain import ACCOUNT, deposit, open_account
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


class Crash(Exception):
    """Stands for the process dying at a fault point."""


@dataclass
class Dispatcher:
    """Routes timer commands to the sample domain's handler, recording every call."""

    processor: CommandProcessor
    calls: list[CommandEnvelope] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    failure: Exception | None = None

    async def __call__(self, command: CommandEnvelope) -> dict[str, Any]:
        self.calls.append(command)
        if self.failure is not None:
            raise self.failure
        assert command.type == "Deposit"
        amount = int(command.payload["amount"])
        result = await self.processor.handle(
            command, ACCOUNT, command.payload["stream"], lambda s: deposit(s, amount)
        )
        self.results.append(result)
        return result


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def dispatcher(processor: CommandProcessor) -> Dispatcher:
    return Dispatcher(processor)


@pytest.fixture
def scheduler(pool: asyncpg.Pool, clock: FakeClock, dispatcher: Dispatcher) -> Scheduler:
    return Scheduler(pool, clock, dispatcher, retry_backoff=timedelta(minutes=1), max_attempts=3)


async def open_stream(processor: CommandProcessor) -> str:
    stream = ACCOUNT.stream_id(new_id())
    opening = CommandEnvelope(command_id=new_id(), type="Open", actor=SYSTEM_ACTOR)
    await processor.handle(opening, ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    return stream


def deposit_command(stream: str, amount: int = 50_000) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=new_id(),
        type="Deposit",
        actor=SYSTEM_ACTOR,
        payload={"stream": stream, "amount": amount},
    )


def fired_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("ishc_timers_fired_total", {"outcome": outcome}) or 0.0


async def test_a_timer_fires_once_when_the_clock_passes_its_due_time(
    scheduler: Scheduler,
    clock: FakeClock,
    dispatcher: Dispatcher,
    processor: CommandProcessor,
    store: EventStore,
) -> None:
    stream = await open_stream(processor)
    due = START + timedelta(hours=2)
    assert await scheduler.schedule("monthly-deposit:1", due, deposit_command(stream))
    fired_before = fired_count("fired")

    clock.advance(timedelta(hours=1, minutes=59, seconds=59))
    assert await scheduler.fire_due() == 0
    assert dispatcher.calls == []

    clock.advance(timedelta(seconds=1))
    assert await scheduler.fire_due() == 1
    clock.advance(timedelta(days=1))
    assert await scheduler.fire_due() == 0

    assert len(dispatcher.calls) == 1
    events = await store.read_stream(stream)
    assert [e.type for e in events] == ["sample.AccountOpened", "sample.Deposited"]
    assert events[1].data == {"amount": 50_000}
    # The command carries the key's id and happens at the due time, not when it was fired.
    assert events[1].metadata.command_id == timer_command_id("monthly-deposit:1")
    assert events[1].metadata.occurred_at == due
    timer = await scheduler.get("monthly-deposit:1")
    assert timer is not None
    assert timer.status == "fired"
    assert timer.fired_at == START + timedelta(hours=2)
    assert timer.attempts == 1
    assert timer.last_error is None
    assert fired_count("fired") == fired_before + 1


async def test_scheduling_the_same_key_twice_keeps_the_first_timer(
    scheduler: Scheduler, pool: asyncpg.Pool, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    first = deposit_command(stream, 10_000)

    assert await scheduler.schedule("k", START + timedelta(hours=1), first) is True
    assert (
        await scheduler.schedule("k", START + timedelta(hours=5), deposit_command(stream)) is False
    )

    assert await pool.fetchval("SELECT count(*) FROM timers WHERE key = 'k'") == 1
    timer = await scheduler.get("k")
    assert timer is not None
    assert timer.due_at == START + timedelta(hours=1)
    assert timer.command.payload == first.payload
    assert timer.command.command_id == timer_command_id("k")


async def test_a_crash_between_dispatch_and_marking_fired_re_dispatches_the_same_command(
    scheduler: Scheduler,
    clock: FakeClock,
    dispatcher: Dispatcher,
    processor: CommandProcessor,
    store: EventStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = await open_stream(processor)
    await scheduler.schedule("crashy", START, deposit_command(stream))

    def die_after_dispatch(point: str) -> None:
        if point == "scheduler.after_dispatch":
            raise Crash(point)

    monkeypatch.setattr(faults, "hit", die_after_dispatch)
    with pytest.raises(Crash):
        await scheduler.fire_due()

    timer = await scheduler.get("crashy")
    assert timer is not None
    assert timer.status == "pending"  # the mark was rolled back with the "crash"
    assert await store.stream_version(stream) == 2  # but the deposit was appended

    monkeypatch.undo()
    clock.advance(timedelta(minutes=1))
    assert await scheduler.fire_due() == 1

    first, second = dispatcher.calls
    assert first.command_id == second.command_id == timer_command_id("crashy")
    assert [r["duplicate"] for r in dispatcher.results] == [False, True]
    assert dispatcher.results[1]["event_ids"] == dispatcher.results[0]["event_ids"]
    assert await store.stream_version(stream) == 2
    timer = await scheduler.get("crashy")
    assert timer is not None
    assert timer.status == "fired"


async def test_a_refused_command_marks_the_timer_fired_with_the_error(
    scheduler: Scheduler, dispatcher: Dispatcher, store: EventStore
) -> None:
    never_opened = ACCOUNT.stream_id(new_id())
    await scheduler.schedule("refused", START, deposit_command(never_opened))
    refused_before = fired_count("refused")

    assert await scheduler.fire_due() == 1
    assert await scheduler.fire_due() == 0

    assert len(dispatcher.calls) == 1  # not retried: the rule would say no again
    timer = await scheduler.get("refused")
    assert timer is not None
    assert timer.status == "fired"
    assert timer.last_error == "invalid-state: the account is not open"
    assert await store.stream_version(never_opened) == 0
    assert fired_count("refused") == refused_before + 1


async def test_a_failing_dispatch_is_retried_with_backoff_then_marked_failed(
    scheduler: Scheduler, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    await scheduler.schedule("flaky", START, deposit_command(stream))
    dispatcher.failure = ConnectionResetError("care service unreachable")

    assert await scheduler.fire_due() == 0
    timer = await scheduler.get("flaky")
    assert timer is not None
    assert (timer.status, timer.attempts) == ("pending", 1)
    assert timer.last_error == "ConnectionResetError: care service unreachable"
    assert timer.retry_at == START + timedelta(minutes=1)

    assert await scheduler.fire_due() == 0  # backing off: not retried yet
    assert len(dispatcher.calls) == 1

    clock.advance(timedelta(minutes=1))
    await scheduler.fire_due()
    timer = await scheduler.get("flaky")
    assert timer is not None
    assert timer.retry_at == clock.now() + timedelta(minutes=2)  # the wait doubles

    clock.advance(timedelta(minutes=2))
    await scheduler.fire_due()
    timer = await scheduler.get("flaky")
    assert timer is not None
    assert (timer.status, timer.attempts) == ("failed", 3)
    assert timer.failed_at == clock.now()

    clock.advance(timedelta(days=30))
    await scheduler.fire_due()
    assert len(dispatcher.calls) == 3  # a failed timer is skipped

    # An operator fixes the cause and re-drives it by rescheduling.
    dispatcher.failure = None
    assert await scheduler.reschedule("flaky", clock.now())
    assert await scheduler.fire_due() == 1
    timer = await scheduler.get("flaky")
    assert timer is not None
    assert (timer.status, timer.attempts) == ("fired", 1)


async def test_an_unreadable_stored_command_is_set_aside_and_the_others_still_fire(
    scheduler: Scheduler, pool: asyncpg.Pool, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    # Written by an older release, say, in a shape this code no longer reads.
    await pool.execute(
        "INSERT INTO timers (key, due_at, command) VALUES ('old', $1, $2)",
        START - timedelta(minutes=1),
        {"type": "Deposit", "payload": {"phone": "0912345678"}},
    )
    await scheduler.schedule("good", START, deposit_command(stream))

    assert await scheduler.fire_due() == 1

    assert [c.command_id for c in dispatcher.calls] == [timer_command_id("good")]
    row = await pool.fetchrow("SELECT failed_at, last_error FROM timers WHERE key = 'old'")
    assert row is not None
    assert row["failed_at"] == START
    assert row["last_error"].startswith("unreadable command: command_id: Field required")
    assert "0912345678" not in row["last_error"]  # the stored input is never echoed


async def test_a_due_date_in_viet_nam_fires_at_17_00_utc_the_day_before(
    scheduler: Scheduler, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    due = vn_start_of_day(date(2026, 12, 1))
    await scheduler.schedule("due-on-1-december", due, deposit_command(stream))

    timer = await scheduler.get("due-on-1-december")
    assert timer is not None
    assert timer.due_at == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)

    clock.set(datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC))
    assert await scheduler.fire_due() == 0
    clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    assert await scheduler.fire_due() == 1

    assert vn_date(dispatcher.calls[0].occurred_at) == date(2026, 12, 1)


async def test_a_cancelled_timer_never_fires_and_its_key_stays_taken(
    scheduler: Scheduler, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    await scheduler.schedule("cancel-me", START + timedelta(hours=1), deposit_command(stream))

    assert await scheduler.cancel("cancel-me") is True
    assert await scheduler.cancel("cancel-me") is False
    # A redelivered reaction scheduling it again must not revive it.
    assert await scheduler.schedule("cancel-me", START, deposit_command(stream)) is False
    assert await scheduler.reschedule("cancel-me", START) is False

    clock.advance(timedelta(days=1))
    assert await scheduler.fire_due() == 0
    assert dispatcher.calls == []
    timer = await scheduler.get("cancel-me")
    assert timer is not None
    assert timer.status == "cancelled"


async def test_a_fired_timer_can_be_neither_cancelled_nor_moved(
    scheduler: Scheduler, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    await scheduler.schedule("done", START, deposit_command(stream))
    await scheduler.fire_due()

    assert await scheduler.cancel("done") is False
    assert await scheduler.reschedule("done", START + timedelta(days=1)) is False
    assert await scheduler.cancel("never-scheduled") is False


async def test_rescheduling_moves_a_pending_timer(
    scheduler: Scheduler, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    await scheduler.schedule("move-me", START, deposit_command(stream))

    assert await scheduler.reschedule("move-me", START + timedelta(days=7)) is True
    assert await scheduler.fire_due() == 0

    clock.advance(timedelta(days=7))
    assert await scheduler.fire_due() == 1
    assert dispatcher.calls[0].occurred_at == START + timedelta(days=7)


async def test_a_timer_scheduled_in_a_rolled_back_transaction_does_not_exist(
    scheduler: Scheduler, pool: asyncpg.Pool, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)

    async def schedule_then_roll_back() -> None:
        async with pool.acquire() as conn, conn.transaction():
            assert await scheduler.schedule("in-tx", START, deposit_command(stream), conn)
            raise Crash

    with pytest.raises(Crash):
        await schedule_then_roll_back()

    assert await scheduler.get("in-tx") is None
    assert await scheduler.schedule("in-tx", START, deposit_command(stream)) is True


async def test_two_workers_firing_together_dispatch_each_timer_once(
    pool: asyncpg.Pool, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    workers = [Scheduler(pool, clock, dispatcher, batch_size=100) for _ in range(2)]
    for number in range(40):
        await workers[0].schedule(f"t{number}", START, deposit_command(stream, 1_000))

    fired = await asyncio.gather(*(worker.fire_due() for worker in workers))

    assert sum(fired) == 40
    assert len(dispatcher.calls) == 40
    assert len({c.command_id for c in dispatcher.calls}) == 40
    assert await processor.store.stream_version(stream) == 41


async def test_the_loop_fires_what_becomes_due_and_wakes_for_a_new_timer(
    pool: asyncpg.Pool, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    # A poll interval far beyond the wait below: only an early wake-up can fire in time.
    scheduler = Scheduler(pool, clock, dispatcher, poll_interval=60.0)

    async def status(key: str) -> str | None:
        timer = await scheduler.get(key)
        return None if timer is None else timer.status

    def fired(key: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await status(key) == "fired"

        return check

    async with running(scheduler.run):
        await scheduler.schedule("now", START, deposit_command(stream))
        await wait_until(fired("now"), message="a due timer scheduled in-process fires at once")

        await scheduler.schedule("later", START + timedelta(hours=3), deposit_command(stream))
        clock.advance(timedelta(hours=3))
        scheduler.wake()
        await wait_until(fired("later"), message="a timer fires once the clock passes it")

    assert [c.command_id for c in dispatcher.calls] == [
        timer_command_id("now"),
        timer_command_id("later"),
    ]
    assert await processor.store.stream_version(stream) == 3


async def test_replicas_running_together_fire_each_timer_once(
    pool: asyncpg.Pool, clock: FakeClock, dispatcher: Dispatcher, processor: CommandProcessor
) -> None:
    stream = await open_stream(processor)
    replicas = [Scheduler(pool, clock, dispatcher, poll_interval=0.05) for _ in range(3)]
    for number in range(10):
        await replicas[0].schedule(f"r{number}", START, deposit_command(stream, 100))

    async def all_fired() -> bool:
        pending = await pool.fetchval("SELECT count(*) FROM timers WHERE fired_at IS NULL")
        return bool(pending == 0)

    async with running(*(replica.run for replica in replicas)):
        await wait_until(all_fired, message="the replicas fire every timer")

    assert sorted(str(c.command_id) for c in dispatcher.calls) == sorted(
        str(timer_command_id(f"r{number}")) for number in range(10)
    )
    assert await processor.store.stream_version(stream) == 11


def test_timer_command_ids_are_stable_per_key() -> None:
    assert timer_command_id("a") == timer_command_id("a")
    assert timer_command_id("a") != timer_command_id("b")
    assert timer_command_id("loan-overdue:1") == UUID("a95f8c66-0a04-5523-a630-099c363c8d8b"), (
        "the namespace is fixed forever: a new one re-appends timers fired before an upgrade"
    )
