"""The aggregate the `eventsourcing` library saves in the append reference (one event per
command, raised with `trigger_event`). Module level: the library registers classes by topic."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class BenchAccount(Aggregate):
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.balance = 0

    class Deposited(Aggregate.Event):
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.balance += self.amount

    def deposit(self, amount: int) -> None:
        self.trigger_event(self.Deposited, amount=amount)
