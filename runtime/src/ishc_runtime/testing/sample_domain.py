"""A tiny domain (accounts with deposits) that exercises the runtime without any service:
used by the runtime's own tests and by the benchmarks."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts import Event, EventRegistry
from ishc_contracts.errors import DomainError, InvalidState
from ishc_runtime.aggregates import Aggregate

SAMPLE_SERVICE = "sample"


class AccountOpened(Event):
    service: ClassVar[str] = SAMPLE_SERVICE
    aggregate: ClassVar[str] = "account"
    owner: str


class Deposited(Event):
    service: ClassVar[str] = SAMPLE_SERVICE
    aggregate: ClassVar[str] = "account"
    amount: int = Field(gt=0)


class Withdrawn(Event):
    service: ClassVar[str] = SAMPLE_SERVICE
    aggregate: ClassVar[str] = "account"
    amount: int = Field(gt=0)


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    opened: bool = False
    owner: str = ""
    balance: int = 0
    deposits: int = 0


class Overdrawn(DomainError):
    type = "overdrawn"
    title = "Not enough money in the account"


def evolve(state: Account, event: Event) -> Account:
    match event:
        case AccountOpened(owner=owner):
            return state.model_copy(update={"opened": True, "owner": owner})
        case Deposited(amount=amount):
            return state.model_copy(
                update={"balance": state.balance + amount, "deposits": state.deposits + 1}
            )
        case Withdrawn(amount=amount):
            return state.model_copy(update={"balance": state.balance - amount})
    return state


def open_account(state: Account, owner: str) -> list[Event]:
    if state.opened:
        raise InvalidState("the account is open already")
    return [AccountOpened(owner=owner)]


def deposit(state: Account, amount: int) -> list[Event]:
    if not state.opened:
        raise InvalidState("the account is not open")
    return [Deposited(amount=amount)]


def withdraw(state: Account, amount: int) -> list[Event]:
    if amount > state.balance:
        raise Overdrawn(f"balance {state.balance} VND is less than {amount} VND", field="amount")
    return [Withdrawn(amount=amount)]


ACCOUNT = Aggregate(stream_type="account", initial=Account(), evolve=evolve, snapshot_every=100)


def sample_registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register_all([AccountOpened, Deposited, Withdrawn])
    return registry
