"""Viet Nam's public holidays from the `holidays` package, as the domain's WorkingCalendar."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from advocacy.domain.calendar import WorkingCalendar


@lru_cache(maxsize=8)
def vn_working_calendar(first_year: int, last_year: int) -> WorkingCalendar:
    """Tet, the fixed holidays and the substituted days off (2 May 2025) of those years."""
    years = range(first_year, last_year + 1)
    days = holidays.country_holidays("VN", years=years)
    return WorkingCalendar(holidays=frozenset(days.keys()))


def calendar_around(day: date) -> WorkingCalendar:
    """Enough years for a decision period that starts on `day` (it may cross New Year)."""
    return vn_working_calendar(day.year, day.year + 1)
