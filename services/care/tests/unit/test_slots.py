"""Visit slot states for the week board (CHT-style: done, due, overdue, missed)."""

from __future__ import annotations

from datetime import date

import pytest

from care.domain.slots import due_days, slot_states

pytestmark = pytest.mark.unit

MONDAY = date(2026, 12, 28)  # 2026-W53


def test_two_visits_a_week_are_due_by_thursday_and_sunday() -> None:
    assert due_days(MONDAY, 2) == [date(2026, 12, 31), date(2027, 1, 3)]
    assert due_days(MONDAY, 7)[0] == MONDAY


def test_states_follow_the_day_and_the_visits_done() -> None:
    assert slot_states(MONDAY, 2, 0, date(2026, 12, 29)) == ["due", "due"]
    assert slot_states(MONDAY, 2, 1, date(2027, 1, 1)) == ["done", "due"]
    assert slot_states(MONDAY, 2, 0, date(2027, 1, 1)) == ["overdue", "due"]
    assert slot_states(MONDAY, 2, 1, date(2027, 1, 4)) == ["done", "missed"]
    assert slot_states(MONDAY, 2, 3, date(2027, 1, 4)) == ["done", "done"]
