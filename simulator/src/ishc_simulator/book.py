"""Streams held in memory while the simulator decides: the real `evolve` folds each decision
into the stream's state, and `drain` turns what was decided into `StreamWrite`s for a bulk
append (many streams per call), at the versions the store expects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ishc_contracts import Event
from ishc_runtime.aggregates import Aggregate
from ishc_runtime.store.eventstore import StreamWrite


@dataclass
class _Stream:
    aggregate: Aggregate[Any]
    state: Any
    version: int = 0
    pending: list[Event] = field(default_factory=list)


class Book:
    """One service's streams during a simulation."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.streams: dict[str, _Stream] = {}
        self.events = 0

    def _stream(self, aggregate: Aggregate[Any], entity_id: object) -> tuple[str, _Stream]:
        stream_id = aggregate.stream_id(entity_id)
        stream = self.streams.get(stream_id)
        if stream is None:
            stream = self.streams[stream_id] = _Stream(aggregate, aggregate.initial)
        return stream_id, stream

    def state(self, aggregate: Aggregate[Any], entity_id: object) -> Any:
        return self._stream(aggregate, entity_id)[1].state

    def decide(
        self,
        aggregate: Aggregate[Any],
        entity_id: object,
        decision: Callable[[Any], Sequence[Event]],
    ) -> list[Event]:
        """Run a decide function on the stream's state; fold and keep what it decided."""
        _, stream = self._stream(aggregate, entity_id)
        events = list(decision(stream.state))
        self.record(aggregate, entity_id, events)
        return events

    def record(self, aggregate: Aggregate[Any], entity_id: object, events: Sequence[Event]) -> None:
        _, stream = self._stream(aggregate, entity_id)
        for event in events:
            stream.state = aggregate.evolve(stream.state, event)
        stream.pending.extend(events)
        self.events += len(events)

    def drain(self) -> list[StreamWrite]:
        writes = []
        for stream_id, stream in self.streams.items():
            if stream.pending:
                writes.append(
                    StreamWrite(
                        stream_id, stream.aggregate.stream_type, stream.version, stream.pending
                    )
                )
                stream.version += len(stream.pending)
                stream.pending = []
        return writes

    def forget(self) -> None:
        """Drop every stream (a finished club's streams are never touched again)."""
        self.streams.clear()
