"""Given/when/then for pure domain code: given past events, when a decision, then new events
or a typed error. No I/O, so a service's whole rulebook runs in milliseconds.

    spec(CLUB).given(ClubEstablished(...)).when(lambda s: admit(s, cmd)).then(MemberJoined(...))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ishc_contracts import Event
from ishc_contracts.errors import DomainError
from ishc_runtime.aggregates import Aggregate

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class Outcome(Generic[S]):
    state: S
    events: Sequence[Event] = ()
    error: DomainError | None = None

    def then(self, *expected: Event) -> Outcome[S]:
        assert self.error is None, f"expected events, got {type(self.error).__name__}: {self.error}"
        assert list(self.events) == list(expected), (
            f"\nexpected: {list(expected)}\n     got: {list(self.events)}"
        )
        return self

    def then_nothing(self) -> Outcome[S]:
        return self.then()

    def then_raises(
        self, error_type: type[DomainError], *, field: str | None = None, match: str | None = None
    ) -> DomainError:
        assert self.error is not None, f"expected {error_type.__name__}, got events {self.events}"
        assert isinstance(self.error, error_type), (
            f"expected {error_type.__name__}, got {type(self.error).__name__}: {self.error}"
        )
        if field is not None:
            assert self.error.field == field, f"error names {self.error.field!r}, not {field!r}"
        if match is not None:
            assert match in self.error.detail, f"{match!r} not in {self.error.detail!r}"
        return self.error

    def then_state(self, check: Callable[[S], Any]) -> Outcome[S]:
        """Assert on the state after the new events are applied."""
        state = self.state
        for event in self.events:
            state = self._evolve(state, event)
        assert check(state), f"state check failed on {state!r}"
        return self

    _evolve: Callable[[S, Event], S] = field(default=lambda s, _e: s, repr=False)


@dataclass(frozen=True)
class Spec(Generic[S]):
    aggregate: Aggregate[S]
    history: tuple[Event, ...] = ()

    def given(self, *events: Event) -> Spec[S]:
        return Spec(self.aggregate, self.history + events)

    @property
    def state(self) -> S:
        state = self.aggregate.initial
        for event in self.history:
            state = self.aggregate.evolve(state, event)
        return state

    def when(self, decide: Callable[[S], Sequence[Event]]) -> Outcome[S]:
        state = self.state
        try:
            events = decide(state)
        except DomainError as error:
            return Outcome(state, error=error, _evolve=self.aggregate.evolve)
        return Outcome(state, tuple(events), _evolve=self.aggregate.evolve)


def spec(aggregate: Aggregate[S]) -> Spec[S]:
    return Spec(aggregate)
