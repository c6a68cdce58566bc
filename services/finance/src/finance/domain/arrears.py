"""Arrears arithmetic: how a paid total covers a schedule, and how late the oldest unpaid
installment is (pause days excluded). Pure functions over the schedule.

Allocation rule: cash covers installments oldest first, within one installment interest
before principal (Fineract's default order). Penalties are not charged (no product has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ishc_contracts.finance.events import Installment


@dataclass(frozen=True)
class Allocation:
    principal: int
    interest: int


def allocate(schedule: tuple[Installment, ...], paid: int) -> Allocation:
    """How `paid` VND (principal + interest, all repayments so far) splits."""
    principal = interest = 0
    left = paid
    for item in schedule:
        take = min(left, item.interest)
        interest, left = interest + take, left - take
        take = min(left, item.principal)
        principal, left = principal + take, left - take
    return Allocation(principal, interest)


def owed(schedule: tuple[Installment, ...]) -> int:
    return sum(item.principal + item.interest for item in schedule)


@dataclass(frozen=True)
class Overdue:
    installment: int
    due_on: date
    principal: int  # unpaid principal of installments due before as_of
    interest: int


def oldest_unpaid(schedule: tuple[Installment, ...], paid: int, as_of: date) -> Overdue | None:
    """The oldest installment due before `as_of` that `paid` does not cover, with the unpaid
    amounts of every installment due before `as_of`; None when nothing due is unpaid."""
    covered = allocate(schedule, paid)
    due = [item for item in schedule if item.due_on < as_of]
    due_principal = sum(item.principal for item in due) - covered.principal
    due_interest = sum(item.interest for item in due) - covered.interest
    if due_principal <= 0 and due_interest <= 0:
        return None
    cumulative = 0
    for item in due:
        cumulative += item.principal + item.interest
        if cumulative > paid:
            return Overdue(item.number, item.due_on, max(due_principal, 0), max(due_interest, 0))
    return None  # pragma: no cover - the sums above say something is unpaid


def paused(day: date, pauses: tuple[tuple[date, date], ...]) -> bool:
    return any(start <= day <= end for start, end in pauses)


def days_overdue(due_on: date, as_of: date, pauses: tuple[tuple[date, date], ...]) -> int:
    """Days after `due_on` up to and including `as_of`, not counting paused days."""
    days, day = 0, due_on + timedelta(days=1)
    while day <= as_of:
        days += not paused(day, pauses)
        day += timedelta(days=1)
    return days


def day_reaching(due_on: date, target_days: int, pauses: tuple[tuple[date, date], ...]) -> date:
    """The first date on which the loan is `target_days` overdue (pauses as known now)."""
    days, day = 0, due_on
    while days < target_days:
        day += timedelta(days=1)
        days += not paused(day, pauses)
    return day
