"""ISO weeks (Monday to Sunday) as clubs count them: calendar days in Viet Nam.

Labels and the week a day counts toward are the contracts' (`ishc_contracts.care.weeks`,
shared with the read models) and re-exported here; this module adds the decider's rules:
weeks that do not exist are refused, and a plan is held to its first full week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from care.domain.errors import InvalidWeek
from ishc_contracts.care.weeks import label, label_of, parse, week_of
from ishc_contracts.vietnam import VN_TZ

__all__ = [
    "first_full_week",
    "label",
    "label_of",
    "monday",
    "next_week",
    "parse",
    "previous_week",
    "vn_today",
    "week_of",
]


def monday(year: int, week: int, *, field: str = "iso_week") -> date:
    """The Monday of ISO week `year-Wweek`; week 53 exists only in long years (2026 has it)."""
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise InvalidWeek(f"{label(year, week)} does not exist: {error}", field=field) from error


def next_week(year: int, week: int) -> tuple[int, int]:
    return week_of(monday(year, week) + timedelta(days=7))


def previous_week(year: int, week: int) -> tuple[int, int]:
    return week_of(monday(year, week) - timedelta(days=7))


def first_full_week(starts_on: date) -> tuple[int, int]:
    """The first ISO week a plan is held to: the week it starts if that is a Monday, else the
    next one (a plan opened on Friday is not expected to fit two visits into the weekend)."""
    if starts_on.isoweekday() == 1:
        return week_of(starts_on)
    return week_of(starts_on + timedelta(days=8 - starts_on.isoweekday()))


def vn_today(now: datetime) -> date:
    return now.astimezone(VN_TZ).date()
