"""The command path decides on the states an instance holds in memory, without reading the
stream first. Several instances of a service write the same streams, so a cached state may be
behind: these tests show that no such state ever overwrites, hides or wrongly refuses another
instance's write. The store's expected-version check catches it, and the command is decided
again on the stream as the store has it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ishc_contracts import (
    SYSTEM_ACTOR,
    CommandEnvelope,
    Event,
    EventMetadata,
    EventRegistry,
    new_id,
)
from ishc_runtime.aggregates import Repository
from ishc_runtime.commands import CommandProcessor, Target
from ishc_runtime.store.eventstore import (
    ConcurrencyError,
    EventStore,
    RawEvent,
    Snapshot,
    StreamWrite,
)
from ishc_runtime.store.pool import Connection
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    Account,
    Deposited,
    Overdrawn,
    deposit,
    open_account,
    withdraw,
)

pytestmark = pytest.mark.integration


def command(kind: str = "Deposit") -> CommandEnvelope:
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR)


class CountingStore(EventStore):
    """An event store that counts the stream reads and the refused appends of the command
    path."""

    reads = 0
    conflicts = 0

    async def append(
        self, writes: Sequence[StreamWrite], metadata: EventMetadata, **options: Any
    ) -> dict[str, Any] | None:
        try:
            return await super().append(writes, metadata, **options)
        except ConcurrencyError:
            self.conflicts += 1
            raise

    async def load_after(
        self, stream_id: str, after_version: int, connection: Connection | None = None
    ) -> list[RawEvent]:
        self.reads += 1
        return await super().load_after(stream_id, after_version, connection)

    async def load_current(
        self, stream_id: str, state_version: int | None, connection: Connection | None = None
    ) -> tuple[Snapshot | None, list[RawEvent]]:
        self.reads += 1
        return await super().load_current(stream_id, state_version, connection)


def instance(store: EventStore, registry: EventRegistry, **options: Any) -> CommandProcessor:
    """One instance of a service: its own repository, so its own cached states."""
    return CommandProcessor(store, Repository(store, registry), **options)


async def opened_with(processor: CommandProcessor, balance: int) -> str:
    stream = ACCOUNT.stream_id(new_id())
    await processor.handle(command("Open"), ACCOUNT, stream, lambda s: open_account(s, "Hoa"))
    await processor.handle(command(), ACCOUNT, stream, lambda s: deposit(s, balance))
    return stream


async def balance(store: EventStore, registry: EventRegistry, stream: str) -> Account:
    state: Account = (await Repository(store, registry).load(ACCOUNT, stream)).state
    return state


async def test_a_command_on_a_stream_this_instance_wrote_last_reads_nothing(
    pool: Any, registry: EventRegistry
) -> None:
    store = CountingStore(pool)
    processor = instance(store, registry)
    stream = await opened_with(processor, 100)
    before = store.reads

    result = await processor.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 5))

    assert store.reads == before
    assert result["streams"] == {stream: 3}
    assert (await balance(store, registry, stream)).balance == 105


async def test_another_instances_write_is_not_overwritten_by_a_stale_cache(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 100)  # first caches version 2, balance 100
    await second.handle(command(), ACCOUNT, stream, lambda s: withdraw(s, 80))

    # On its stale cache (balance 100) first would allow this; on the store's state (20) it
    # is refused, and nothing is appended.
    with pytest.raises(Overdrawn):
        await first.handle(command("Withdraw"), ACCOUNT, stream, lambda s: withdraw(s, 50))

    assert await store.stream_version(stream) == 3
    assert (await balance(store, registry, stream)).balance == 20


async def test_a_stale_cache_is_caught_by_the_expected_version_and_decided_again(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 100)
    await second.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 50))
    seen: list[int] = []

    def deposit_seeing(state: Account) -> list[Event]:
        seen.append(state.balance)
        return deposit(state, 1)

    result = await first.handle(command(), ACCOUNT, stream, deposit_seeing)

    assert seen == [100, 150]  # decided on the cache, refused by the store, decided again
    assert result["streams"] == {stream: 4}
    assert (await balance(store, registry, stream)).balance == 151
    # The retry left the first instance's cache current: the next command needs one try.
    seen.clear()
    await first.handle(command(), ACCOUNT, stream, deposit_seeing)
    assert seen == [151]


async def test_a_refusal_on_a_stale_cache_is_decided_again_on_the_store(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 10)
    await second.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 90))

    # The cache says 10, too little; the store says 100: the withdrawal goes through.
    result = await first.handle(command("Withdraw"), ACCOUNT, stream, lambda s: withdraw(s, 60))

    assert result["duplicate"] is False
    assert (await balance(store, registry, stream)).balance == 40


async def test_nothing_to_do_on_a_stale_cache_is_decided_again_on_the_store(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 100)
    await second.handle(command("Withdraw"), ACCOUNT, stream, lambda s: withdraw(s, 80))

    def top_up_to_100(state: Account) -> list[Event]:
        return [Deposited(amount=100 - state.balance)] if state.balance < 100 else []

    # The cache (100) needs nothing, which would append nothing the store could refuse; the
    # store (20) needs 80.
    result = await first.handle(command(), ACCOUNT, stream, top_up_to_100)

    assert result["streams"] == {stream: 4}
    assert (await balance(store, registry, stream)).balance == 100


async def test_a_stream_only_read_from_a_stale_cache_is_read_again(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    source = await opened_with(first, 100)
    target = await opened_with(first, 1)
    await second.handle(command(), ACCOUNT, source, lambda s: deposit(s, 23))

    def match_the_source(states: Mapping[str, Any]) -> Mapping[str, list[Event]]:
        return {target: [Deposited(amount=states[source].balance)]}  # source only read

    result = await first.handle_many(
        command(), [Target(ACCOUNT, source), Target(ACCOUNT, target)], match_the_source
    )

    assert result["streams"] == {target: 3}  # the source, only checked, is not reported
    assert (await balance(store, registry, target)).balance == 1 + 123
    assert await store.stream_version(source) == 3


async def test_catching_up_a_stale_cache_does_not_use_up_the_attempts(
    store: EventStore, registry: EventRegistry
) -> None:
    first = instance(store, registry, max_attempts=1)
    second = instance(store, registry)
    stream = await opened_with(first, 100)
    await second.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))

    await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))

    assert (await balance(store, registry, stream)).balance == 102


async def test_a_repeat_decided_on_a_stale_cache_returns_the_first_result(
    store: EventStore, registry: EventRegistry
) -> None:
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 100)
    repeated = command()
    once = await second.handle(repeated, ACCOUNT, stream, lambda s: deposit(s, 7))

    again = await first.handle(repeated, ACCOUNT, stream, lambda s: deposit(s, 7))

    assert again == {**once, "duplicate": True}
    assert await store.stream_version(stream) == 3


async def test_a_stream_two_instances_take_turns_on_is_read_first_not_refused_each_time(
    pool: Any, registry: EventRegistry
) -> None:
    store = CountingStore(pool)
    first, second = instance(store, registry), instance(store, registry)
    stream = await opened_with(first, 100)

    for _ in range(4):
        await second.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))
        await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))

    # Each instance finds its cache behind once (second's first command read the stream, it
    # had no cache yet); after that both read before deciding.
    assert store.conflicts == 2
    assert (await balance(store, registry, stream)).balance == 108

    # Once the other instance has stopped writing, one read finds nothing new, and the next
    # commands trust the cache again.
    await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))
    reads = store.reads
    await first.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 1))
    assert store.reads == reads
    assert store.conflicts == 2


async def test_a_race_after_a_read_of_the_store_is_retried_as_an_attempt(
    pool: Any, registry: EventRegistry
) -> None:
    """Only a cache found behind is caught up for free; a writer slipping in between this
    attempt's read and its append is the usual conflict, bounded by max_attempts."""
    other = instance(EventStore(pool), registry)

    class RacedStore(EventStore):
        async def append(
            self, writes: Sequence[StreamWrite], metadata: EventMetadata, **options: Any
        ) -> dict[str, Any] | None:
            await other.handle(command(), ACCOUNT, writes[0].stream_id, lambda s: deposit(s, 1))
            return await super().append(writes, metadata, **options)

    stream = await opened_with(other, 100)
    raced = instance(RacedStore(pool), registry, max_attempts=1)  # no cache: it reads first

    with pytest.raises(ConcurrencyError):
        await raced.handle(command(), ACCOUNT, stream, lambda s: deposit(s, 5))

    assert (await balance(EventStore(pool), registry, stream)).balance == 101
