"""The event store and the command path against a real Postgres."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from ishc_contracts import SYSTEM_ACTOR, Actor, CommandEnvelope, EventMetadata, new_id
from ishc_runtime.aggregates import Repository
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.idempotency import IdempotencyKeyReused
from ishc_runtime.store.eventstore import ConcurrencyError, EventStore, StreamWrite
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    AccountOpened,
    Deposited,
    Overdrawn,
    deposit,
    open_account,
    withdraw,
)

pytestmark = pytest.mark.integration


def metadata() -> EventMetadata:
    return EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))


def command(kind: str = "Deposit") -> CommandEnvelope:
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR)


async def test_two_appends_at_the_same_expected_version_one_wins(store: EventStore) -> None:
    await store.append(
        [StreamWrite("account-1", "account", 0, [AccountOpened(owner="Lan")])], metadata()
    )

    async def deposit_at_version_1(amount: int) -> object:
        write = StreamWrite("account-1", "account", 1, [Deposited(amount=amount)])
        try:
            return await store.append([write], metadata())
        except ConcurrencyError as error:
            return error

    outcomes = await asyncio.gather(deposit_at_version_1(100), deposit_at_version_1(200))

    assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrencyError", "NoneType"]
    events = await store.read_stream("account-1")
    assert [e.version for e in events] == [1, 2]


async def test_an_expected_version_behind_the_stream_is_a_typed_conflict(store: EventStore) -> None:
    opened = StreamWrite("account-2", "account", 0, [AccountOpened(owner="Mai")])
    await store.append([opened], metadata())

    with pytest.raises(ConcurrencyError) as raised:
        await store.append([opened], metadata())

    assert raised.value.stream_id == "account-2"
    assert raised.value.expected == 0
    assert raised.value.actual == 1


async def test_a_retried_command_appends_nothing_and_returns_the_first_result(
    processor: CommandProcessor, store: EventStore
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    again = command()

    first = await processor.handle(again, ACCOUNT, stream, lambda s: deposit(s, 500_000))
    second = await processor.handle(again, ACCOUNT, stream, lambda s: deposit(s, 500_000))

    assert first["duplicate"] is False
    assert second["duplicate"] is True
    assert {k: v for k, v in second.items() if k != "duplicate"} == {
        k: v for k, v in first.items() if k != "duplicate"
    }
    assert await store.stream_version(stream) == 2


@pytest.mark.parametrize(
    "reuse",
    [
        {"actor": Actor(user_id="someone-else", role="club_secretary")},
        {"type": "Withdraw"},
        {"payload": {"amount": 900_000}},
    ],
    ids=["another caller", "another command type", "another body"],
)
async def test_a_key_reused_for_another_request_is_refused_and_runs_nothing(
    processor: CommandProcessor, store: EventStore, reuse: dict[str, Any]
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    first = CommandEnvelope(
        command_id=new_id(), type="Deposit", actor=SYSTEM_ACTOR, payload={"amount": 500_000}
    )
    await processor.handle(first, ACCOUNT, stream, lambda s: deposit(s, 500_000))
    other = first.model_copy(update=reuse)

    with pytest.raises(IdempotencyKeyReused):
        await processor.handle(other, ACCOUNT, stream, lambda s: deposit(s, 1))
    # Even when the other request breaks a rule or has nothing to write, the key's first
    # result is not handed out.
    with pytest.raises(IdempotencyKeyReused):
        await processor.handle(other, ACCOUNT, stream, lambda s: withdraw(s, 10**9))
    with pytest.raises(IdempotencyKeyReused):
        await processor.handle(other, ACCOUNT, stream, lambda s: [])

    again = await processor.handle(first, ACCOUNT, stream, lambda s: deposit(s, 500_000))
    assert again["duplicate"] is True
    assert await store.stream_version(stream) == 2


async def test_concurrent_twins_of_one_command_append_once(
    processor: CommandProcessor, store: EventStore
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    twin = command()

    results = await asyncio.gather(
        *(processor.handle(twin, ACCOUNT, stream, lambda s: deposit(s, 1_000)) for _ in range(5))
    )

    assert sorted(r["duplicate"] for r in results) == [False, True, True, True, True]
    assert await store.stream_version(stream) == 2


async def test_racing_commands_are_retried_on_conflict_and_all_land(
    processor: CommandProcessor, store: EventStore
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))

    await asyncio.gather(
        *(processor.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 10)) for _ in range(4))
    )

    state = (await Repository(store, processor.repository.registry).load(ACCOUNT, stream)).state
    assert state.balance == 40
    assert await store.stream_version(stream) == 5


async def test_a_broken_rule_is_a_typed_error_and_appends_nothing(
    processor: CommandProcessor, store: EventStore
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))

    with pytest.raises(Overdrawn) as raised:
        await processor.handle(command("Withdraw"), ACCOUNT, stream, lambda s: withdraw(s, 5))

    assert raised.value.problem().errors[0].field == "amount"
    assert await store.stream_version(stream) == 1


async def test_streams_written_together_commit_together_or_not_at_all(store: EventStore) -> None:
    await store.append(
        [StreamWrite("account-b", "account", 0, [AccountOpened(owner="B")])], metadata()
    )
    both = [
        StreamWrite("account-a", "account", 0, [AccountOpened(owner="A")]),
        StreamWrite("account-b", "account", 0, [AccountOpened(owner="B again")]),
    ]

    with pytest.raises(ConcurrencyError):
        await store.append(both, metadata())

    assert await store.read_stream("account-a") == []
    both[1] = StreamWrite("account-b", "account", 1, [Deposited(amount=5)])
    await store.append(both, metadata())
    assert await store.stream_version("account-a") == 1
    assert await store.stream_version("account-b") == 2


async def test_a_stream_loads_as_it_was_at_a_version_or_a_time(
    processor: CommandProcessor, store: EventStore, pool: asyncpg.Pool
) -> None:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    await processor.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 100))
    between = await pool.fetchval("SELECT clock_timestamp()")
    await processor.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 250))
    repository = processor.repository

    assert (await repository.load(ACCOUNT, stream)).state.balance == 350
    assert (await repository.load(ACCOUNT, stream, up_to_version=2)).state.balance == 100
    assert (await repository.load(ACCOUNT, stream, as_of=between)).state.balance == 100


async def test_snapshots_are_taken_every_n_events_and_ignored_when_stale(
    processor: CommandProcessor, store: EventStore
) -> None:
    every_ten = ACCOUNT.__class__(
        stream_type="account", initial=ACCOUNT.initial, evolve=ACCOUNT.evolve, snapshot_every=10
    )
    stream = every_ten.stream_id(new_id())
    await processor.handle(command("Open"), every_ten, stream, lambda s: open_account(s, "Hoa"))
    for _ in range(11):
        await processor.handle(command(), every_ten, stream, lambda s: deposit(s, 1))

    snapshot = await store.read_snapshot(stream)
    assert snapshot is not None
    assert snapshot.version == 10
    assert (await processor.repository.load(every_ten, stream)).state.balance == 11

    # A snapshot whose state shape is outdated must not be trusted.
    newer_shape = every_ten.__class__(
        stream_type="account",
        initial=ACCOUNT.initial,
        evolve=ACCOUNT.evolve,
        snapshot_every=10,
        state_version=2,
    )
    await store.write_snapshot(
        "account",
        snapshot.__class__(stream, 10, 1, {**snapshot.state, "balance": 999}),
    )
    assert (await processor.repository.load(newer_shape, stream)).state.balance == 11


async def test_a_replica_sees_what_another_appended_though_it_keeps_states_in_memory(
    store: EventStore, registry: Any
) -> None:
    first = CommandProcessor(store, Repository(store, registry))
    second = CommandProcessor(store, Repository(store, registry))
    stream = ACCOUNT.stream_id(new_id())
    await first.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 100))  # cached in first

    await second.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 50))
    await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 25))

    assert (await first.repository.load(ACCOUNT, stream)).state.balance == 175
    assert (await second.repository.load(ACCOUNT, stream)).state.balance == 175
    assert await store.stream_version(stream) == 4
