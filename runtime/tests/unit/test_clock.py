"""The injectable clock, and Viet Nam calendar dates as UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from ishc_runtime.clock import (
    VN_TZ,
    Clock,
    FakeClock,
    SystemClock,
    as_utc,
    vn_at,
    vn_date,
    vn_start_of_day,
)

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_the_system_clock_is_aware_utc_and_moves() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)

    now = clock.now()

    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
    assert isinstance(clock, Clock)


def test_a_fake_clock_stands_still_until_advanced() -> None:
    clock = FakeClock(START)

    assert clock.now() == START
    assert clock.now() == START
    assert clock.advance(timedelta(hours=1, minutes=30)) == START + timedelta(hours=1, minutes=30)
    assert clock.now() == datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    assert isinstance(clock, Clock)


def test_a_fake_clock_can_be_set_in_either_direction_and_reports_utc() -> None:
    clock = FakeClock(START)

    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ))
    assert clock.now() == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC

    clock.set(START - timedelta(days=1))
    assert clock.now() == START - timedelta(days=1)


def test_a_fake_clock_never_advances_backwards() -> None:
    clock = FakeClock(START)

    with pytest.raises(ValueError, match="negative"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        FakeClock(datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="no time zone"):
        FakeClock(START).set(datetime(2026, 12, 1))
    with pytest.raises(ValueError, match="no time zone"):
        vn_date(datetime(2026, 12, 1))


def test_a_fake_clock_started_in_another_zone_reports_the_same_instant_in_utc() -> None:
    clock = FakeClock(datetime(2026, 12, 1, 0, 0, tzinfo=timezone(timedelta(hours=7))))

    assert clock.now() == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_a_day_in_viet_nam_begins_at_17_00_utc_the_day_before() -> None:
    assert vn_start_of_day(date(2026, 12, 1)) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert vn_start_of_day(date(2026, 12, 1)).tzinfo is UTC


def test_the_vn_date_changes_at_17_00_utc() -> None:
    assert vn_date(datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert vn_date(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == date(2026, 12, 1)
    # Across a year boundary too: New Year's Eve 20:00 UTC is already 1 January in Ha Noi.
    assert vn_date(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == date(2027, 1, 1)


def test_vn_date_and_start_of_day_agree_for_every_day_of_a_year() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        start = vn_start_of_day(day)
        assert vn_date(start) == day
        assert vn_date(start - timedelta(microseconds=1)) == day - timedelta(days=1)
        day += timedelta(days=1)


def test_a_wall_clock_time_in_viet_nam_as_utc() -> None:
    assert vn_at(date(2026, 12, 1), time(8, 30)) == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert vn_at(date(2026, 12, 1), time(3, 0)) == datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def test_as_utc_keeps_the_instant() -> None:
    instant = datetime(2026, 12, 1, 7, 0, tzinfo=VN_TZ)

    assert as_utc(instant) == instant
    assert as_utc(instant) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
