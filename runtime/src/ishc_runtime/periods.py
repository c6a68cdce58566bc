"""Calendar periods and the ISO weeks in them (docs/periods.md).

An ISO week belongs to the month, quarter and year that hold its Thursday: the ISO 8601 rule
for the week-numbering year, extended to months and quarters, so a week that straddles a
month or year end lands in exactly one period and the same one in every service.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

THURSDAY = 4
_ATTRIBUTION = timedelta(days=THURSDAY - 1)  # from the week's Monday
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def week_thursday(year: int, week: int) -> date:
    """The Thursday of ISO week `year-Wweek` (ValueError when the week does not exist)."""
    return date.fromisocalendar(year, week, THURSDAY)


def attribution_day(monday: date) -> date:
    """The day that decides a week's month, quarter and year: its Thursday."""
    return monday + _ATTRIBUTION


def calendar_period(text: str) -> tuple[date, date]:
    """First and last day of `2026`, `2026-Q1` or `2026-01` (ValueError otherwise)."""
    match = _PERIOD.match(text.strip())
    if match is None:
        msg = f"period {text!r}: use 2026, 2026-Q1 or 2026-01"
        raise ValueError(msg)
    year = int(match[1])
    if match[2]:
        first = 3 * (int(match[2]) - 1) + 1
        last = first + 2
    elif match[3]:
        first = last = int(match[3])
    else:
        first, last = 1, 12
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def weeks_in(start: date, end: date) -> list[tuple[int, int]]:
    """The ISO weeks (year, week) whose Thursday lies in `start`..`end`, in order."""
    thursday = start + timedelta(days=(THURSDAY - start.isoweekday()) % 7)
    found = []
    while thursday <= end:
        iso = thursday.isocalendar()
        found.append((iso.year, iso.week))
        thursday += timedelta(days=7)
    return found
