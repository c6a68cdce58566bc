"""Working days skip weekends and Viet Nam's holidays, Tet and substituted days included."""

from __future__ import annotations

from datetime import date

import pytest

from advocacy.domain.calendar import WorkingCalendar, add_working_days
from advocacy.domain.case import decision_due_on
from advocacy.domain.policy_table import TABLE
from advocacy.reference.calendar import vn_working_calendar

pytestmark = pytest.mark.unit

VN_2025 = vn_working_calendar(2025, 2026)


def test_the_holidays_package_knows_tet_and_the_substituted_day_2025() -> None:
    for day in (date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31), date(2025, 5, 2)):
        assert not VN_2025.is_working_day(day), day
    assert VN_2025.is_working_day(date(2025, 2, 3))


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        # Friday before Tet: 27 Jan - 1 Feb are off, ten working days end on 14 Feb
        (date(2025, 1, 24), date(2025, 2, 14)),
        # across 30 Apr, 1 May and the substituted 2 May
        (date(2025, 4, 21), date(2025, 5, 8)),
        # an ordinary fortnight
        (date(2025, 7, 1), date(2025, 7, 15)),
        # across National Day (1-2 Sep 2025)
        (date(2025, 8, 29), date(2025, 9, 16)),
    ],
)
def test_a_social_pension_decision_is_due_within_ten_working_days(
    submitted: date, due: date
) -> None:
    assert add_working_days(submitted, 10, VN_2025) == due


def test_the_decision_period_is_a_parameter_of_the_scheme() -> None:
    assert decision_due_on("social_pension", date(2025, 7, 1), TABLE, VN_2025) == date(2025, 7, 15)
    # before the social pension existed there is no such period
    assert decision_due_on("social_pension", date(2025, 6, 2), TABLE, VN_2025) is None
    assert decision_due_on("health_insurance", date(2025, 7, 1), TABLE, VN_2025) is None
    # a poverty certificate: 15 calendar days, holidays included
    assert decision_due_on("poverty_certification", date(2025, 4, 25), TABLE, VN_2025) == date(
        2025, 5, 10
    )


def test_a_calendar_without_holidays_counts_weekdays_only() -> None:
    assert add_working_days(date(2025, 1, 24), 10, WorkingCalendar()) == date(2025, 2, 7)
