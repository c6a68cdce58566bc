"""The ISO week attribution rule (docs/periods.md) at the year ends it exists for."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ishc_runtime.periods import attribution_day, calendar_period, week_thursday, weeks_in

pytestmark = pytest.mark.unit


def period_of(year: int, week: int) -> tuple[int, int]:
    thursday = week_thursday(year, week)
    return thursday.year, thursday.month


def test_2025_w01_belongs_to_january_2025_though_it_starts_in_december_2024() -> None:
    assert date.fromisocalendar(2025, 1, 1) == date(2024, 12, 30)
    assert period_of(2025, 1) == (2025, 1)
    assert (2025, 1) in weeks_in(*calendar_period("2025-01"))
    assert (2025, 1) not in weeks_in(*calendar_period("2024"))


def test_2026_w01_belongs_to_2026_not_to_december_2025() -> None:
    assert date.fromisocalendar(2026, 1, 1) == date(2025, 12, 29)
    assert period_of(2026, 1) == (2026, 1)
    assert weeks_in(*calendar_period("2025-12"))[-1] == (2025, 52)
    assert (2026, 1) not in weeks_in(*calendar_period("2025"))
    assert weeks_in(*calendar_period("2026-Q1"))[0] == (2026, 1)


def test_2026_w53_belongs_to_december_2026_though_it_ends_in_2027() -> None:
    assert date.fromisocalendar(2026, 53, 7) == date(2027, 1, 3)
    assert period_of(2026, 53) == (2026, 12)
    assert weeks_in(*calendar_period("2026-Q4"))[-1] == (2026, 53)
    assert weeks_in(*calendar_period("2027-01"))[0] == (2027, 1)


def test_only_long_years_have_a_week_53() -> None:
    long_years = [y for y in range(2020, 2040) if date(y, 12, 28).isocalendar().week == 53]
    assert long_years == [2020, 2026, 2032, 2037]
    with pytest.raises(ValueError, match="53"):
        week_thursday(2025, 53)


def test_every_week_lands_in_exactly_one_month() -> None:
    months = [calendar_period(f"{y}-{m:02d}") for y in (2025, 2026, 2027) for m in range(1, 13)]
    counted = [w for start, end in months for w in weeks_in(start, end)]
    assert len(counted) == len(set(counted)) == 52 + 53 + 52
    assert sum(len(weeks_in(*calendar_period(str(y)))) for y in (2025, 2026, 2027)) == 157


def test_the_attribution_day_is_the_monday_plus_three() -> None:
    monday = date(2026, 12, 28)
    assert attribution_day(monday) == week_thursday(2026, 53) == monday + timedelta(days=3)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-01", "2026-1", ""])
def test_a_period_not_in_the_three_forms_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        calendar_period(text)
