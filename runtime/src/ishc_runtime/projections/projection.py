"""A projection: event handlers writing read-model tables in the owning service's database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from ishc_contracts import Event, EventEnvelope, sensitive_fields
from ishc_runtime.store.pool import Connection

E = TypeVar("E", bound=Event)
Handler = Callable[[Connection, EventEnvelope, Any], Awaitable[None]]
# What a handler registers as: its third argument is the decoded event of the type it was
# registered for, so mypy checks the handler against that event.
HandlesEvent = Callable[[Connection, EventEnvelope, E], Awaitable[None]]
FailurePolicy = Literal["stop", "park"]


@dataclass(frozen=True)
class Write:
    """A statement for the runner to run. Consecutive writes with the same SQL go to the
    server together (`executemany`): one round trip for a run of events, not one each."""

    sql: str
    args: tuple[Any, ...]
    # Optional: the same effect for a run of these writes (same `sql` and `fold`) as ONE
    # statement over arrays, `$n` receiving the list of every write's n-th argument (read
    # them with `unnest`): one statement for a batch's rows instead of one execution each.
    # Only where applying the run at once equals applying it in order (inserts that do
    # nothing on conflict, sums, the highest version). If the folded statement fails, the
    # runner's slow path applies the batch event by event, each write with `sql` alone.
    fold: str | None = None


Writer = Callable[[EventEnvelope, Any], Sequence[Write]]
WritesEvent = Callable[[EventEnvelope, E], Sequence[Write]]


@dataclass
class Projection:
    """Handlers by event type, over one or more services' streams.

    `policy`: what happens to an event whose handler keeps failing after `max_attempts`:
    `stop` halts the projection on it (ledgers: correctness over liveness), `park` sets it
    aside in `parked_messages` and goes on. Malformed messages and unknown types are always
    parked: no retry can fix them. Rename (`_v2`) to rebuild from the start.
    """

    name: str
    sources: Sequence[str]
    policy: FailurePolicy = "stop"
    max_attempts: int = 5
    backoff_seconds: float = 0.1
    handlers: dict[str, Handler] = field(default_factory=dict)
    writers: dict[str, Writer] = field(default_factory=dict)
    # The read-model tables this projection owns: what a rebuild empties and refills.
    tables: Sequence[str] = ()
    # Non-unique indexes of `tables` that only readers use (no write of this projection
    # finds rows through them): a blue-green rebuild builds them after its bulk load rather
    # than maintaining them row by row.
    deferred_indexes: Sequence[str] = ()
    # Per event type, the sensitive fields its handler reads in clear (absent: all of them).
    # The runner opens only these; the others read as their erased stand-in, and a handler
    # stores them with `privacy.keep` (the event's ciphertext, never opened here).
    opens: dict[str, frozenset[str]] = field(default_factory=dict)

    def _opening(self, event_type: type[Event], opens: Iterable[str] | None) -> None:
        if opens is None:
            self.opens.pop(event_type.wire_name(), None)
            return
        wanted = frozenset(opens)
        unknown = wanted - sensitive_fields(event_type)
        if unknown:
            msg = f"{event_type.wire_name()} has no sensitive field {', '.join(sorted(unknown))}"
            raise ValueError(msg)
        self.opens[event_type.wire_name()] = wanted

    def on(
        self, event_type: type[E], *, opens: Iterable[str] | None = None
    ) -> Callable[[HandlesEvent[E]], HandlesEvent[E]]:
        """Register a handler with a connection. `opens`: the sensitive fields it reads in
        clear (default: all), see `opens` above."""

        def register(handler: HandlesEvent[E]) -> HandlesEvent[E]:
            self._opening(event_type, opens)
            self.handlers[event_type.wire_name()] = handler
            return handler

        return register

    def writes(
        self, event_type: type[E], *, opens: Iterable[str] | None = None
    ) -> Callable[[WritesEvent[E]], WritesEvent[E]]:
        """Register a pure handler that returns the statements to run (no connection): the
        fast path for read models that only insert and update rows. `opens`: the sensitive
        fields it reads in clear (default: all), see `opens` above."""

        def register(writer: WritesEvent[E]) -> WritesEvent[E]:
            self._opening(event_type, opens)
            self.writers[event_type.wire_name()] = writer
            return writer

        return register

    def row(
        self,
        event_type: type[E],
        sql: str,
        args: Callable[[E], tuple[object, ...]],
        *,
        fold: str | None = None,
        opens: Iterable[str] | None = None,
    ) -> None:
        """The commonest pure writer: one statement whose arguments are the event's values
        (`args(event)`), declared in place of a handler that only wraps them in a `Write`.
        `opens`: as for `writes`."""

        def writer(env: EventEnvelope, event: E) -> list[Write]:
            return [Write(sql, args(event), fold)]

        self.writes(event_type, opens=opens)(writer)

    def handles(self, wire_name: str) -> bool:
        return wire_name in self.handlers or wire_name in self.writers
