"""Roster rows: categories are independent flags, and age belongs to the reporting date."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from membership.application.queries import roster_row

pytestmark = pytest.mark.unit


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "member_id": UUID(int=1), "person_id": UUID(int=2), "full_name": "Lò Thị Mai",
        "sex": "female", "birth_date": date(1966, 12, 1), "village": None,
        "joined_on": date(2025, 9, 1), "left_on": None, "leave_reason": None,
        "womens_union": True, "ethnic_minority": True, "has_disability": True,
        "poverty_status": "near_poor", "board_roles": ["treasurer"], "volunteer": True,
        "household_id": UUID(int=3),
    }  # fmt: skip
    return base | overrides


def test_one_person_can_carry_every_category_at_once() -> None:
    member = roster_row(row(), date(2026, 12, 1), 60)
    assert all(member["categories"].values())
    assert member["roles"] == ["member", "board:treasurer", "volunteer"]


def test_no_category_is_implied_by_another() -> None:
    member = roster_row(
        row(sex="male", womens_union=False, ethnic_minority=False, has_disability=False,
            poverty_status=None, board_roles=None, volunteer=False),
        date(2026, 12, 1), 60,
    )  # fmt: skip
    assert member["categories"] == {
        "older": True, "woman": False, "womens_union_member": False,
        "poor_or_near_poor": False, "disability": False, "ethnic_minority": False,
    }  # fmt: skip
    assert member["roles"] == ["member"]


def test_older_depends_on_the_reporting_date() -> None:
    assert roster_row(row(), date(2026, 11, 30), 60)["categories"]["older"] is False
    assert roster_row(row(), date(2026, 12, 1), 60)["age"] == 60


def test_a_member_who_left_before_the_reporting_date_is_not_active() -> None:
    member = roster_row(row(left_on=date(2026, 1, 1)), date(2026, 6, 1), 60)
    assert member["active"] is False
