"""Working days: Monday to Friday except public holidays (Tet and substituted days included).

The holidays come in as data (the application reads them from the `holidays` package), so
the domain stays pure and tests can state exactly which days are off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    # Weekend days made working days to compensate a bridge holiday (a working Saturday).
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays


def add_working_days(start: date, days: int, calendar: WorkingCalendar) -> date:
    """The `days`-th working day after `start` (the day of submission is not counted)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day
