"""Visit slots of a week, CHT-style task states (domain A3): each of the plan's visits has a
due day spread over the week; a slot is done (green), due (blue, not yet late), overdue (red,
its day passed, the week still open) or missed (the week is over without it)."""

from __future__ import annotations

from datetime import date, timedelta
from math import ceil
from typing import Literal

SlotState = Literal["done", "due", "overdue", "missed"]


def due_days(monday: date, required: int) -> list[date]:
    """Slot k of n is due by day ceil(7k/n) of the week: 2 a week → Thursday and Sunday."""
    return [monday + timedelta(days=ceil(7 * k / required) - 1) for k in range(1, required + 1)]


def slot_states(monday: date, required: int, done: int, today: date) -> list[SlotState]:
    sunday = monday + timedelta(days=6)
    states: list[SlotState] = []
    for k, due in enumerate(due_days(monday, required)):
        if k < done:
            states.append("done")
        elif today > sunday:
            states.append("missed")
        elif today > due:
            states.append("overdue")
        else:
            states.append("due")
    return states
