"""Which screenings the scheduler is asked for: ages and rule dates come from the table."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from advocacy.domain.policy_table import TABLE
from advocacy.domain.triggers import milestone_ages, plan_for_member, plan_now, rule_dates

pytestmark = pytest.mark.unit

PERSON = UUID(int=7)


def test_milestone_ages_and_rule_dates_are_read_from_the_table() -> None:
    assert milestone_ages(TABLE) == [60, 70, 75, 80]
    assert date(2025, 7, 1) in rule_dates(TABLE) and date(2024, 7, 1) in rule_dates(TABLE)


def test_a_member_reaching_75_is_screened_on_the_first_of_the_next_month() -> None:
    planned = plan_for_member(PERSON, date(1950, 12, 10), date(2025, 11, 20), TABLE)
    at_75 = [p for p in planned if p.trigger == "age_75"]
    assert {p.on for p in at_75} == {date(2026, 1, 1)}
    assert {p.scheme for p in at_75} == {
        "social_pension",
        "social_allowance_elderly",
        "health_insurance",
    }
    assert {p.trigger for p in planned} == {"age_75", "age_80"}  # 60 and 70 are past


def test_the_1_july_2025_rule_date_is_planned_for_members_known_before_it() -> None:
    planned = plan_for_member(PERSON, date(1948, 3, 2), date(2025, 5, 1), TABLE)
    rule = [p for p in planned if p.trigger == "rule_date_2025-07-01"]
    assert {(p.on, p.scheme) for p in rule} == {
        (date(2025, 7, 1), "social_pension"),
        (date(2025, 7, 1), "social_allowance_elderly"),
    }
    assert len({p.key for p in planned}) == len(planned)


def test_an_event_asks_for_one_screening_per_scheme_keyed_by_the_event() -> None:
    planned = plan_now("e1", ("disability_allowance",), date(2025, 8, 1), "disability_recorded")
    assert [p.key for p in planned] == ["screen:e1:disability_allowance"]
