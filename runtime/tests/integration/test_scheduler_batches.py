"""Timers fired in rounds (issue #19): claimed together, dispatched together, settled in one
statement, with every guarantee of a timer fired alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from ishc_contracts import CommandEnvelope
from ishc_contracts.errors import DomainError
from ishc_runtime import faults
from ishc_runtime.clock import FakeClock
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.leases import LeaseLost, Leases
from ishc_runtime.scheduler import Scheduler, timer_command_id
from ishc_runtime.store.eventstore import EventStore

from .test_fencing import depose
from .test_scheduler import START, Crash, Dispatcher, deposit_command, open_stream

pytestmark = pytest.mark.integration


class Broken(DomainError):
    type = "invalid-state"


class BatchDispatcher:
    """A service's batch path: each command answered on its own, in order, as a batch handler
    answers; `refuse` and `fail` pick commands by their stream."""

    def __init__(self, one: Dispatcher) -> None:
        self.one = one
        self.batches: list[list[CommandEnvelope]] = []
        self.refuse: set[str] = set()
        self.fail: set[str] = set()
        self.broken: Exception | None = None

    async def __call__(self, commands: Sequence[CommandEnvelope]) -> list[Any]:
        self.batches.append(list(commands))
        if self.broken is not None:
            raise self.broken
        answers: list[Any] = []
        for command in commands:
            stream = command.payload["stream"]
            if stream in self.refuse:
                answers.append(Broken("refused in the batch"))
            elif stream in self.fail:
                answers.append(ConnectionResetError("lost in the batch"))
            else:
                answers.append(await self.one(command))
        return answers


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def streams(processor: CommandProcessor, count: int) -> list[str]:
    return [await open_stream(processor) for _ in range(count)]


async def status(pool: asyncpg.Pool) -> dict[str, tuple[str, int, str | None]]:
    rows = await pool.fetch(
        "SELECT key, CASE WHEN fired_at IS NOT NULL THEN 'fired'"
        " WHEN failed_at IS NOT NULL THEN 'failed' ELSE 'pending' END AS status,"
        " attempts, last_error FROM timers"
    )
    return {r["key"]: (r["status"], r["attempts"], r["last_error"]) for r in rows}


async def test_a_round_dispatches_its_timers_together_and_settles_each_with_its_outcome(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    dispatcher = Dispatcher(processor)
    scheduler = Scheduler(
        pool, clock, dispatcher, concurrency=4, max_attempts=3, retry_backoff=timedelta(minutes=1)
    )
    good = await streams(processor, 6)
    for n, stream in enumerate(good):
        await scheduler.schedule(f"good:{n}", START, deposit_command(stream))
    never_opened = "account-never-opened"
    await scheduler.schedule("refused", START, deposit_command(never_opened))

    assert await scheduler.fire_due() == 7

    found = await status(pool)
    assert {k: v for k, v in found.items() if k.startswith("good")} == {
        f"good:{n}": ("fired", 1, None) for n in range(6)
    }
    assert found["refused"] == ("fired", 1, "invalid-state: the account is not open")
    assert [await store.stream_version(s) for s in good] == [2] * 6
    assert len(dispatcher.calls) == 7


async def test_a_failing_command_in_a_batch_does_not_fail_the_others(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    batch = BatchDispatcher(Dispatcher(processor))
    scheduler = Scheduler(
        pool, clock, batch.one, dispatch_many=batch, max_attempts=3,
        retry_backoff=timedelta(minutes=1),
    )  # fmt: skip
    ok, refused, failing = await streams(processor, 3)
    batch.refuse, batch.fail = {refused}, {failing}
    for name, stream in (("ok", ok), ("refused", refused), ("failing", failing)):
        await scheduler.schedule(name, START, deposit_command(stream))

    assert await scheduler.fire_due() == 2  # the refused one is settled too

    assert len(batch.batches) == 1 and len(batch.batches[0]) == 3
    found = await status(pool)
    assert found["ok"] == ("fired", 1, None)
    assert found["refused"] == ("fired", 1, "invalid-state: refused in the batch")
    assert found["failing"] == ("pending", 1, "ConnectionResetError: lost in the batch")
    assert await store.stream_version(ok) == 2
    assert await store.stream_version(failing) == 1

    # Only the failed one comes back, after its backoff.
    batch.fail = set()
    clock.advance(timedelta(minutes=1))
    assert await scheduler.fire_due() == 1
    assert (await status(pool))["failing"] == ("fired", 2, None)
    assert await store.stream_version(failing) == 2


async def test_a_batch_that_fails_as_a_whole_is_dispatched_again_one_by_one(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    batch = BatchDispatcher(Dispatcher(processor))
    batch.broken = RuntimeError("a bug in the batch handler")
    scheduler = Scheduler(pool, clock, batch.one, dispatch_many=batch, concurrency=2)
    opened = await streams(processor, 3)
    for n, stream in enumerate(opened):
        await scheduler.schedule(f"t{n}", START, deposit_command(stream))

    assert await scheduler.fire_due() == 3

    assert len(batch.batches) == 1
    assert sorted(c.command_id for c in batch.one.calls) == sorted(
        timer_command_id(f"t{n}") for n in range(3)
    )
    assert [await store.stream_version(s) for s in opened] == [2, 2, 2]


async def test_a_crash_between_a_batch_and_its_settling_re_dispatches_the_same_commands(
    pool: asyncpg.Pool,
    clock: FakeClock,
    processor: CommandProcessor,
    store: EventStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = BatchDispatcher(Dispatcher(processor))
    scheduler = Scheduler(pool, clock, batch.one, dispatch_many=batch)
    opened = await streams(processor, 4)
    for n, stream in enumerate(opened):
        await scheduler.schedule(f"t{n}", START, deposit_command(stream))

    def die_after_dispatch(point: str) -> None:
        if point == "scheduler.after_dispatch":
            raise Crash(point)

    monkeypatch.setattr(faults, "hit", die_after_dispatch)
    with pytest.raises(Crash):
        await scheduler.fire_due()
    assert {v[0] for v in (await status(pool)).values()} == {"pending"}  # nothing settled
    assert [await store.stream_version(s) for s in opened] == [2] * 4  # but all appended

    monkeypatch.undo()
    assert await scheduler.fire_due() == 4

    first, second = batch.batches
    assert [c.command_id for c in first] == [c.command_id for c in second]
    results = batch.one.results
    assert [r["duplicate"] for r in results] == [False] * 4 + [True] * 4
    assert [r["event_ids"] for r in results[4:]] == [r["event_ids"] for r in results[:4]]
    assert [await store.stream_version(s) for s in opened] == [2] * 4  # nothing twice
    assert {v[0] for v in (await status(pool)).values()} == {"fired"}


async def test_a_deposed_leader_neither_dispatches_nor_settles_a_batch(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    batch = BatchDispatcher(Dispatcher(processor))
    scheduler = Scheduler(pool, clock, batch.one, dispatch_many=batch)
    opened = await streams(processor, 3)
    for n, stream in enumerate(opened):
        await scheduler.schedule(f"t{n}", START, deposit_command(stream))
    old_leases, new_leases = Leases(pool, "old"), Leases(pool, "new")
    lease = await old_leases.acquire("scheduler")
    assert lease is not None
    successor = await depose(pool, lease, new_leases)

    async with pool.acquire() as conn:
        with pytest.raises(LeaseLost):
            await scheduler._fire_round(conn, lease)
    assert batch.batches == []
    assert set((await status(pool)).values()) == {("pending", 0, None)}

    async with pool.acquire() as conn:
        assert (await scheduler._fire_round(conn, successor)).fired == 3
    assert [await store.stream_version(s) for s in opened] == [2] * 3
    await new_leases.close()
    await old_leases.close()


async def test_no_replica_takes_the_role_while_a_round_is_in_flight(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor
) -> None:
    """So no two leaders ever settle the same round: the fence holds the role's row until
    the round commits (or its connection is dropped after twice the ttl, idle)."""
    one = Dispatcher(processor)
    old_leases, new_leases = Leases(pool, "old"), Leases(pool, "new")
    lease = await old_leases.acquire("scheduler")
    assert lease is not None
    taken: list[object] = []

    async def paused_past_its_ttl(commands: Sequence[CommandEnvelope]) -> list[Any]:
        await pool.execute(
            "UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'"
            " WHERE role = 'scheduler'"
        )
        taken.append(await new_leases.acquire("scheduler"))
        return [await one(c) for c in commands]

    scheduler = Scheduler(pool, clock, one, dispatch_many=paused_past_its_ttl)
    opened = await streams(processor, 2)
    for n, stream in enumerate(opened):
        await scheduler.schedule(f"t{n}", START, deposit_command(stream))

    async with pool.acquire() as conn:
        assert (await scheduler._fire_round(conn, lease)).fired == 2
    assert taken == [None]  # asked while the round held the role: refused
    taken_after = await new_leases.acquire("scheduler")
    assert taken_after is not None and taken_after.epoch == lease.epoch + 1
    await new_leases.close()
    await old_leases.close()


async def test_a_command_that_hangs_is_left_for_a_retry_and_the_others_fire(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    one = Dispatcher(processor)
    never = asyncio.Event()  # what the stuck command waits for (a dependency that hangs)
    stuck_stream: list[str] = []

    async def dispatch(command: CommandEnvelope) -> dict[str, Any]:
        if command.payload["stream"] in stuck_stream:
            await never.wait()
        return await one(command)

    async def batch(commands: Sequence[CommandEnvelope]) -> list[Any]:
        return [await dispatch(c) for c in commands]

    scheduler = Scheduler(
        pool, clock, dispatch, dispatch_many=batch, concurrency=2, dispatch_timeout=0.2,
        retry_backoff=timedelta(minutes=1),
    )  # fmt: skip
    stuck, *others = await streams(processor, 3)
    stuck_stream.append(stuck)
    await scheduler.schedule("stuck", START, deposit_command(stuck))
    for n, stream in enumerate(others):
        await scheduler.schedule(f"t{n}", START, deposit_command(stream))

    assert await scheduler.fire_due() == 2

    found = await status(pool)
    assert found["stuck"] == ("pending", 1, "TimeoutError: no answer within 0.2 s")
    assert (found["t0"][0], found["t1"][0]) == ("fired", "fired")
    assert [await store.stream_version(s) for s in others] == [2, 2]
    assert await store.stream_version(stuck) == 1
    assert scheduler.round_size == scheduler.batch_size // 2  # the next round is smaller


async def test_a_command_whose_turn_never_came_is_left_as_it_was_for_the_next_round(
    pool: asyncpg.Pool, clock: FakeClock, processor: CommandProcessor, store: EventStore
) -> None:
    one = Dispatcher(processor)
    never = asyncio.Event()
    hanging: list[str] = []

    async def dispatch(command: CommandEnvelope) -> dict[str, Any]:
        if command.payload["stream"] in hanging:
            await never.wait()
        return await one(command)

    scheduler = Scheduler(
        pool, clock, dispatch, concurrency=1, dispatch_timeout=0.2,
        retry_backoff=timedelta(minutes=1),
    )  # fmt: skip
    slow, waiting = await streams(processor, 2)
    hanging.append(slow)
    await scheduler.schedule("a-slow", START, deposit_command(slow))
    await scheduler.schedule("b-waiting", START, deposit_command(waiting))

    assert await scheduler.fire_due() == 0
    found = await status(pool)
    assert found["a-slow"] == ("pending", 1, "TimeoutError: no answer within 0.2 s")
    assert found["b-waiting"] == ("pending", 0, None)  # not tried: no attempt counted

    assert scheduler.round_size == scheduler.batch_size // 2

    assert await scheduler.fire_due() == 1  # the slow one backs off; the other goes now
    assert (await status(pool))["b-waiting"] == ("fired", 1, None)
    assert await store.stream_version(waiting) == 2
    assert scheduler.round_size == scheduler.batch_size  # a round in time: back to full size
