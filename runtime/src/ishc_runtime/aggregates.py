"""Aggregates as data: a start state and a fold. Loading replays a stream (from a snapshot)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ishc_contracts import Event, EventRegistry
from ishc_runtime.store.eventstore import EventStore, Snapshot
from ishc_runtime.store.pool import Connection

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class Aggregate(Generic[S]):
    """How one kind of stream is folded into state.

    `state_version` names the shape of the state for snapshots: bump it when the state model
    or `evolve` changes, and stale snapshots are ignored (the stream is replayed instead).
    """

    stream_type: str
    initial: S
    evolve: Callable[[S, Event], S]
    snapshot_every: int | None = 100
    state_version: int = 1

    def stream_id(self, entity_id: object) -> str:
        return f"{self.stream_type}-{entity_id}"


@dataclass(frozen=True)
class Loaded(Generic[S]):
    state: S
    version: int


class Repository:
    """Loads aggregates from one store, decoding stored events through the registry.

    Recently written states are kept in memory (bounded, least recently used first out):
    a load then reads only the events after the cached version, usually none, instead of
    decoding and folding the stream from its last snapshot. The store stays the truth: what
    another replica appended meanwhile is read and folded like any other event. The command
    path goes further and decides on a cached state without reading (`cached`): its append
    names the cached version as the expected one, so a state left behind is a conflict.

    A stream other instances write too would make that first try fail often: after such a
    conflict (`written_elsewhere`) the stream is read before each command again, until a read
    finds that nobody else wrote since this instance's last write.
    """

    def __init__(self, store: EventStore, registry: EventRegistry, *, cache_size: int = 10_000):
        self.store = store
        self.registry = registry
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[object, ...], Loaded[Any]] = OrderedDict()
        self._shared: set[tuple[object, ...]] = set()  # cached streams others write too

    @staticmethod
    def _key(aggregate: Aggregate[Any], stream_id: str) -> tuple[object, ...]:
        # The same stream may be folded by differently configured aggregates (tests, a new
        # state shape): each gets its own entry.
        return (aggregate.stream_type, aggregate.state_version, id(aggregate.evolve), stream_id)

    def cached(self, aggregate: Aggregate[S], stream_id: str) -> Loaded[S] | None:
        """The state this instance last knew of the stream, without asking the store: it may
        be behind (another instance appended since). A writer may decide on it only if its
        append states the cached version as the expected one, so that the store refuses the
        append when it is behind."""
        key = self._key(aggregate, stream_id)
        if key in self._shared:
            return None
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
        return found

    def written_elsewhere(self, aggregate: Aggregate[S], stream_id: str) -> None:
        """Another instance appended to this stream behind the cache's back: `cached` answers
        nothing for it until a `load` finds no one else's events after this instance's."""
        key = self._key(aggregate, stream_id)
        if key in self._cache:
            self._shared.add(key)

    def remember(self, aggregate: Aggregate[S], stream_id: str, loaded: Loaded[S]) -> None:
        if not self.cache_size:
            return
        key = self._key(aggregate, stream_id)
        self._cache[key] = loaded
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            evicted, _ = self._cache.popitem(last=False)
            self._shared.discard(evicted)

    async def load(
        self,
        aggregate: Aggregate[S],
        stream_id: str,
        *,
        up_to_version: int | None = None,
        as_of: datetime | None = None,
        connection: Connection | None = None,
    ) -> Loaded[S]:
        if up_to_version is not None or as_of is not None:
            return await self._travel(aggregate, stream_id, up_to_version, as_of)
        key = self._key(aggregate, stream_id)
        cached = self._cache.get(key)
        if cached is not None:
            state, version = cached.state, cached.version
            events = await self.store.load_after(stream_id, version, connection)
            if not events:
                self._shared.discard(key)  # nobody else wrote since: the cache is the stream
        else:
            state, version = aggregate.initial, 0
            wanted = aggregate.state_version if aggregate.snapshot_every else None
            snapshot, events = await self.store.load_current(stream_id, wanted, connection)
            if snapshot is not None:
                state = type(aggregate.initial).model_validate(snapshot.state)
                version = snapshot.version
        privacy = self.store.privacy
        if privacy is not None and events:
            await privacy.load([(raw.type, stream_id, raw.data) for raw in events])
        for raw in events:
            data = raw.data if privacy is None else privacy.open(raw.type, stream_id, raw.data)
            event = self.registry.decode(raw.type, raw.schema_version, data)
            state = aggregate.evolve(state, event)
            version = raw.version
        loaded = Loaded(state, version)
        if events or cached is None:
            self.remember(aggregate, stream_id, loaded)
        return loaded

    async def _travel(
        self,
        aggregate: Aggregate[S],
        stream_id: str,
        up_to_version: int | None,
        as_of: datetime | None,
    ) -> Loaded[S]:
        """The state as it was: replayed from the start (snapshots are of the present)."""
        state, version = aggregate.initial, 0
        stream = await self.store.read_stream(stream_id, up_to_version=up_to_version, as_of=as_of)
        privacy = self.store.privacy
        if privacy is not None:
            await privacy.load([(stored.type, stream_id, stored.data) for stored in stream])
        for stored in stream:
            data = (
                stored.data
                if privacy is None
                else privacy.open(stored.type, stream_id, stored.data)
            )
            event = self.registry.decode(stored.type, stored.schema_version, data)
            state = aggregate.evolve(state, event)
            version = stored.version
        return Loaded(state, version)

    async def maybe_snapshot(
        self,
        aggregate: Aggregate[S],
        stream_id: str,
        before: int,
        after: Loaded[S],
        connection: Connection | None = None,
    ) -> None:
        """Snapshot when this append crossed a multiple of `snapshot_every`."""
        every = aggregate.snapshot_every
        if not every or after.version // every == before // every:
            return
        await self.store.write_snapshot(
            aggregate.stream_type,
            Snapshot(
                stream_id,
                after.version,
                aggregate.state_version,
                after.state.model_dump(mode="json"),
            ),
            connection,
        )
