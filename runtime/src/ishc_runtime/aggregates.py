"""Aggregates as data: a start state and a fold. Loading replays a stream (from a snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from ishc_contracts import Event, EventRegistry
from ishc_runtime.store.eventstore import EventStore, Snapshot

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
    ) -> Loaded[S]:
        state, version = aggregate.initial, 0
        if as_of is None and aggregate.snapshot_every:
            snapshot = await self.store.read_snapshot(stream_id)
            usable = (
                snapshot is not None
                and snapshot.state_version == aggregate.state_version
                and (up_to_version is None or snapshot.version <= up_to_version)
            )
            if snapshot is not None and usable:
                state = type(aggregate.initial).model_validate(snapshot.state)
                version = snapshot.version
        for stored in await self.store.read_stream(
            stream_id, after_version=version, up_to_version=up_to_version, as_of=as_of
        ):
            event = self.registry.decode(stored.type, stored.schema_version, stored.data)
            state = aggregate.evolve(state, event)
            version = stored.version
        return Loaded(state, version)

    async def maybe_snapshot(
        self, aggregate: Aggregate[S], stream_id: str, before: int, after: Loaded[S]
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
        )
