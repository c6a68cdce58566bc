from datetime import date

import pytest

from reporting.application.periods import PeriodError, add_months, age_on, parse_period


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
