"""Aggregates as data: a start state and a fold. Loading replays a stream (from a snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

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
    """Loads aggregates from one store, decoding stored events through the registry."""

    def __init__(self, store: EventStore, registry: EventRegistry) -> None:
        self.store = store
        self.registry = registry

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
        state, version = aggregate.initial, 0
        wanted = aggregate.state_version if aggregate.snapshot_every else None
        snapshot, events = await self.store.load_current(stream_id, wanted, connection)
        if snapshot is not None:
            state = type(aggregate.initial).model_validate(snapshot.state)
            version = snapshot.version
        for raw in events:
            event = self.registry.decode(raw.type, raw.schema_version, raw.data)
            state = aggregate.evolve(state, event)
            version = raw.version
        return Loaded(state, version)

    async def _travel(
        self,
        aggregate: Aggregate[S],
        stream_id: str,
        up_to_version: int | None,
        as_of: datetime | None,
    ) -> Loaded[S]:
        """The state as it was: replayed from the start (snapshots are of the present)."""
        state, version = aggregate.initial, 0
        for stored in await self.store.read_stream(
            stream_id, up_to_version=up_to_version, as_of=as_of
        ):
            event = self.registry.decode(stored.type, stored.schema_version, stored.data)
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
