"""Reporting periods: a month, a quarter, a year or a programme period, as dates."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

PROGRAMME_PERIODS = ("2021-2025", "2026-2030", "2031-2035")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_SPAN = re.compile(r"^(\d{4})-(\d{4})$")


class PeriodError(ValueError):
    """The period text is none of: 2025-05, 2025-Q2, 2025, 2021-2025."""


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive: the reporting date (ages and stocks are taken on it)


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def parse_period(text: str) -> Period:
    text = text.strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"no month {month}")
        return Period(text, date(year, month, 1), month_end(year, month))
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * (quarter - 1) + 1
        return Period(text, date(year, first, 1), month_end(year, first + 2))
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    if m := _SPAN.match(text):
        if text not in PROGRAMME_PERIODS:
            raise PeriodError(f"programme periods are {', '.join(PROGRAMME_PERIODS)}")
        return Period(text, date(int(m[1]), 1, 1), date(int(m[2]), 12, 31))
    raise PeriodError(f"period {text!r}: use 2025-05, 2025-Q2, 2025 or 2021-2025")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
