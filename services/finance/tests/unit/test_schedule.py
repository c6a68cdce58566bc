"""Schedules against hand-computed tables (whole VND; last installment takes the remainder)."""

from __future__ import annotations

from datetime import date

import pytest

from finance.domain.schedule import add_months, build_schedule
from ishc_contracts.finance.events import Installment

pytestmark = pytest.mark.unit


def rows(schedule: tuple[Installment, ...]) -> list[tuple[str, int, int]]:
    return [(i.due_on.isoformat(), i.principal, i.interest) for i in schedule]


def test_flat_default_product_6m_over_12_months_at_half_a_percent() -> None:
    # 6,000,000 / 12 = 500,000 principal; 6,000,000 x 0.5 % = 30,000 interest every month.
    schedule = build_schedule(6_000_000, 12, "flat", 50, 0, date(2026, 1, 15))
    assert rows(schedule)[:2] == [("2026-02-15", 500_000, 30_000), ("2026-03-15", 500_000, 30_000)]
    assert rows(schedule)[-1] == ("2027-01-15", 500_000, 30_000)
    assert sum(i.principal for i in schedule) == 6_000_000
    assert sum(i.interest for i in schedule) == 360_000


def test_flat_with_two_grace_months_pays_interest_only_first() -> None:
    schedule = build_schedule(5_000_000, 12, "flat", 50, 2, date(2026, 3, 10), repayment_day=21)
    assert rows(schedule)[:3] == [
        ("2026-04-21", 0, 25_000),
        ("2026-05-21", 0, 25_000),
        ("2026-06-21", 500_000, 25_000),
    ]
    assert [i.principal for i in schedule][2:] == [500_000] * 10
    assert sum(i.interest for i in schedule) == 300_000


def test_flat_rounding_last_installment_absorbs_the_remainder() -> None:
    # 1,234,567 / 3 = 411,522.33 -> 411,522, 411,522, 411,523
    # interest: floor(1,234,567 x 0.55 %) = 6,790 a month; total round(20,370.36) = 20,370
    schedule = build_schedule(1_234_567, 3, "flat", 55, 0, date(2026, 1, 1))
    assert [(i.principal, i.interest) for i in schedule] == [
        (411_522, 6_790),
        (411_522, 6_790),
        (411_523, 6_790),
    ]


def test_flat_tiny_rate_puts_the_rounded_interest_in_the_last_month() -> None:
    # 155,555 x 0.03 % = 46.67 -> 46, total round(93.33) = 93 -> last 47
    schedule = build_schedule(155_555, 2, "flat", 3, 0, date(2026, 1, 1))
    assert [i.interest for i in schedule] == [46, 47]


def test_declining_balance_interest_on_what_is_still_outstanding() -> None:
    # 3,000,000 at 1 %: 30,000 on 3M, 20,000 on 2M, 10,000 on 1M
    schedule = build_schedule(3_000_000, 3, "declining", 100, 0, date(2026, 1, 5))
    assert rows(schedule) == [
        ("2026-02-05", 1_000_000, 30_000),
        ("2026-03-05", 1_000_000, 20_000),
        ("2026-04-05", 1_000_000, 10_000),
    ]


def test_declining_with_grace_keeps_full_interest_during_the_grace_month() -> None:
    schedule = build_schedule(3_000_000, 4, "declining", 50, 1, date(2026, 1, 5))
    assert [(i.principal, i.interest) for i in schedule] == [
        (0, 15_000),
        (1_000_000, 15_000),
        (1_000_000, 10_000),
        (1_000_000, 5_000),
    ]


def test_declining_rounds_each_month_half_up() -> None:
    # 1,000,001 x 0.5 % = 5,000.005 -> 5,000; 500,001 x 0.5 % = 2,500.005 -> 2,500
    # 1,000,003 x 0.5 % = 5,000.015 -> 5,000; 1,000,100 x 0.5 % = 5,000.5 -> 5,001 (half up)
    assert [
        i.interest for i in build_schedule(1_000_001, 2, "declining", 50, 0, date(2026, 1, 1))
    ] == [5_000, 2_500]
    assert build_schedule(1_000_100, 2, "declining", 50, 0, date(2026, 1, 1))[0].interest == 5_001


def test_due_dates_clamp_to_the_end_of_short_months() -> None:
    schedule = build_schedule(3_000_000, 3, "flat", 50, 0, date(2026, 1, 31))
    assert [i.due_on for i in schedule] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert add_months(date(2026, 11, 30), 3, 31) == date(2027, 2, 28)


def test_grace_must_leave_a_month_to_repay() -> None:
    with pytest.raises(ValueError, match="grace"):
        build_schedule(1_000_000, 3, "flat", 50, 3, date(2026, 1, 1))
