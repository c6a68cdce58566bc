"""Arrears arithmetic: how a paid total covers a schedule, and how late the oldest unpaid
installment is (pause days excluded). Pure functions over the schedule.

Allocation rule: cash covers installments oldest first, within one installment interest
before principal (Fineract's default order). Penalties are not charged (no product has one).

Entry-order rule (DESIGN §7, issue #19): the arrears of a loan on a day D are a function of
business dates only: the schedule's due dates, the repayments *received* on or before D and
the pause windows. When a repayment was keyed in, or when a timer fired, never matters, so
a repayment typed in weeks late cures the arrears from the day it was received, and the
count of days overdue goes on past the last bucket (it does not stop at 91).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from finance.domain.rules import bucket_for
from ishc_contracts.finance.events import ArrearsBucket, Installment


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


def split_in_received_order(
    schedule: tuple[Installment, ...], repayments: Iterable[tuple[UUID, date, int]]
) -> dict[UUID, Allocation]:
    """How each repayment (id, received on, amount) splits when cash covers the schedule in
    the order it was received (same-day receipts by id, so any entry order gives one answer).
    Summed over the receipts up to a day, this is `allocate` of what was paid by that day."""
    splits: dict[UUID, Allocation] = {}
    paid = 0
    for repayment_id, _day, amount in sorted(repayments, key=lambda r: (r[1], str(r[0]))):
        before, after = allocate(schedule, paid), allocate(schedule, paid + amount)
        splits[repayment_id] = Allocation(
            after.principal - before.principal, after.interest - before.interest
        )
        paid += amount
    return splits


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
    """Days after `due_on` up to and including `as_of`, not counting paused days (pauses of
    one loan never overlap, so their overlaps with the window simply add up)."""
    first = due_on + timedelta(days=1)
    if as_of < first:
        return 0
    paused_days = sum(
        max((min(end, as_of) - max(start, first)).days + 1, 0) for start, end in pauses
    )
    return (as_of - first).days + 1 - paused_days


Receipt = tuple[date, int]  # (received_on, principal + interest)


def paid_by(receipts: Iterable[Receipt], day: date) -> int:
    """What was received on or before `day`, whatever order the receipts were keyed in."""
    return sum(amount for received_on, amount in receipts if received_on <= day)


@dataclass(frozen=True)
class Arrears:
    """A loan's arrears on one day."""

    installment: int  # oldest unpaid installment
    due_on: date
    days_overdue: int
    bucket: ArrearsBucket
    overdue_principal: int
    overdue_interest: int


def arrears_on(
    schedule: tuple[Installment, ...],
    receipts: Iterable[Receipt],
    pauses: tuple[tuple[date, date], ...],
    tolerance: int,
    day: date,
) -> Arrears | None:
    """The arrears on `day` of an active loan (None: current). An amount overdue within the
    product's arrears tolerance does not count; nor does a day inside a pause."""
    late = oldest_unpaid(schedule, paid_by(receipts, day), day)
    if late is None or late.principal + late.interest <= tolerance:
        return None
    days = days_overdue(late.due_on, day, pauses)
    bucket = bucket_for(days)
    if bucket is None:
        return None
    return Arrears(late.installment, late.due_on, days, bucket, late.principal, late.interest)


def principal_repaid_by(
    schedule: tuple[Installment, ...], receipts: Iterable[Receipt], day: date
) -> int:
    """Principal repaid by `day`: the allocation rule applied to everything received by then
    (not the split each repayment got when it was keyed in, which depends on entry order)."""
    return allocate(schedule, paid_by(receipts, day)).principal


def day_reaching(due_on: date, target_days: int, pauses: tuple[tuple[date, date], ...]) -> date:
    """The first date on which the loan is `target_days` overdue (pauses as known now)."""
    days, day = 0, due_on
    while days < target_days:
        day += timedelta(days=1)
        days += not paused(day, pauses)
    return day
