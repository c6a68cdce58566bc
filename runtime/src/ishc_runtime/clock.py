"""Time as a dependency: the system clock in production, a fake one that tests move by hand.

Why: time-based facts (a loan overdue, a weekly visit quota missed) must be testable without
waiting, so nothing that decides "is it due?" reads the wall clock directly (DESIGN §7).

Every instant is an aware UTC `datetime`. Clubs live in Viet Nam (UTC+7, no daylight saving),
so "due on 1 December" means midnight in Ha Noi, which is 17:00 UTC the day before; the
`vn_*` helpers make that conversion explicit instead of leaving it to a server's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable

from ishc_contracts.vietnam import VN_TZ

__all__ = ["VN_TZ", "Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def as_utc(instant: datetime) -> datetime:
    """`instant` in UTC; a naive datetime is refused, since its zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        msg = f"{instant.isoformat()} has no time zone; pass an aware datetime"
        raise ValueError(msg)
    return instant.astimezone(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never backward: time-based facts assume it only grows)."""
        if delta < timedelta(0):
            msg = f"cannot advance by a negative duration {delta}"
            raise ValueError(msg)
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        """Jump to `instant`, in either direction (a test may rewind to replay a scenario)."""
        self._now = as_utc(instant)
        return self._now


def vn_date(instant: datetime) -> date:
    """The calendar date in Viet Nam at `instant`."""
    return as_utc(instant).astimezone(VN_TZ).date()


def vn_start_of_day(day: date) -> datetime:
    """The UTC instant at which `day` begins in Viet Nam (00:00 at UTC+7)."""
    return datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(UTC)


def vn_at(day: date, at: time) -> datetime:
    """The UTC instant of wall-clock time `at` on `day` in Viet Nam."""
    return datetime.combine(day, at, tzinfo=VN_TZ).astimezone(UTC)
