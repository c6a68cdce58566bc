from datetime import date, timedelta

import pytest

from reporting.application.periods import PeriodError, add_months, age_on, parse_period
from reporting.projections.membership import sixty_from


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-05", date(2025, 5, 1), date(2025, 5, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2021-2025", date(2021, 1, 1), date(2025, 12, 31)),
        ("2031-2035", date(2031, 1, 1), date(2035, 12, 31)),
    ],
)
def test_periods(text: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2025-13", "2025-Q5", "2022-2024", "May 2025", ""])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_age_is_taken_on_the_reporting_date() -> None:
    assert age_on(date(1965, 6, 1), date(2025, 5, 31)) == 59
    assert age_on(date(1965, 5, 31), date(2025, 5, 31)) == 60


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2023, 3, 15), 24) == date(2025, 3, 15)
    assert add_months(date(2025, 1, 1), -12) == date(2024, 1, 1)


def test_the_month_a_member_turns_60_decides_older_exactly_on_every_reporting_date() -> None:
    """Reporting keeps the month a member turns 60 instead of the birth date: on every
    reporting date (a period's end, always a month end) it says "60 or older" exactly when
    the age worked out from the birth date does, birthdays on the 29th of February included."""
    born = [date(1964, 1, 1) + timedelta(days=n) for n in range(0, 3 * 366, 3)]
    born += [date(1964, 2, 29), date(1965, 12, 31), date(1966, 1, 31)]
    for year in (2024, 2025, 2026):
        for label in (*(f"{year}-{m:02d}" for m in range(1, 13)), f"{year}-Q3", str(year)):
            end = parse_period(label).end
            for birth in born:
                turns = sixty_from(birth)
                assert turns is not None
                assert (turns <= end) == (age_on(birth, end) >= 60), (birth, end)
