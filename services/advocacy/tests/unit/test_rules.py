"""Every rule across its effective dates: the law of June 2025 for June, July's for July."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from advocacy.domain.errors import ParameterTableInvalid
from advocacy.domain.facts import Facts, first_month_start_at_age
from advocacy.domain.parameters import Parameter, ParameterTable
from advocacy.domain.policy_table import TABLE
from advocacy.domain.rules import (
    choose_monthly_benefit,
    disability_allowance,
    funeral_support,
    health_insurance,
    poverty_line,
    social_allowance_elderly,
    social_pension,
)

pytestmark = pytest.mark.unit

JUN_2025, JUL_2025 = date(2025, 6, 15), date(2025, 7, 1)


def born(age: int, on: date) -> date:
    """A birth date making the person exactly `age` (birthday in January) on `on`."""
    return date(on.year - age, 1, 1)


def facts(age: int | None, on: date, **more: Any) -> Facts:
    return Facts(birth_date=born(age, on) if age is not None else None, **more)


SOCIAL_PENSION = [
    # (age, extra facts, on, result, amount, reason)
    (77, {"monthly_pension": 0}, JUN_2025, "not_eligible", None, "scheme_not_in_force"),
    (77, {"monthly_pension": 0}, JUL_2025, "eligible", 500_000, "age_75_plus"),
    (75, {"monthly_pension": 0}, JUL_2025, "eligible", 500_000, "age_75_plus"),
    (74, {"monthly_pension": 0, "poverty_status": "none"}, JUL_2025, "not_eligible", None, "below_age"),
    (72, {"monthly_pension": 0, "poverty_status": "near_poor"}, JUN_2025, "not_eligible", None, "scheme_not_in_force"),
    (72, {"monthly_pension": 0, "poverty_status": "near_poor"}, JUL_2025, "eligible", 500_000, "age_70_poor_household"),
    (70, {"monthly_pension": 0, "poverty_status": "poor"}, JUL_2025, "eligible", 500_000, "age_70_poor_household"),
    (69, {"monthly_pension": 0, "poverty_status": "poor"}, JUL_2025, "not_eligible", None, "below_age"),
    (72, {"monthly_pension": 0}, JUL_2025, "needs_information", None, "poverty_status_unknown"),
    (80, {"monthly_pension": 499_999}, JUL_2025, "eligible", 500_000, "age_75_plus"),
    (80, {"monthly_pension": 500_000}, JUL_2025, "not_eligible", None, "has_pension"),
    (80, {}, JUL_2025, "needs_information", None, "pension_unknown"),
    (None, {}, JUL_2025, "needs_information", None, "birth_date_unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("age", "more", "on", "result", "amount", "reason"), SOCIAL_PENSION)
def test_social_pension(
    age: int | None, more: dict[str, Any], on: date, result: str, amount: int | None, reason: str
) -> None:
    screening = social_pension(facts(age, on, **more), on, TABLE)
    assert (screening.result, screening.amount) == (result, amount)
    assert reason in screening.reasons


ALLOWANCE = [
    # 360k base before 1 Jul 2024, 500k after
    (65, {"poverty_status": "poor", "has_supporter": False}, date(2024, 6, 30), "eligible", 540_000),
    (65, {"poverty_status": "poor", "has_supporter": False}, date(2024, 7, 1), "eligible", 750_000),
    (82, {"poverty_status": "poor", "has_supporter": False}, date(2024, 7, 1), "eligible", 1_000_000),
    (82, {"poverty_status": "poor", "has_supporter": False}, date(2023, 1, 1), "eligible", 720_000),
    (77, {"poverty_status": "near_poor", "especially_difficult_commune": True}, JUL_2025, "eligible", 500_000),
    (77, {"poverty_status": "near_poor", "especially_difficult_commune": False}, JUL_2025, "not_eligible", None),
    # the 80+ without pension allowance ends when the social pension starts
    (85, {"monthly_pension": 0}, JUN_2025, "eligible", 500_000),
    (85, {"monthly_pension": 0}, JUL_2025, "not_eligible", None),
    (85, {"monthly_pension": 0}, date(2022, 3, 1), "eligible", 360_000),
    (65, {"poverty_status": "poor"}, JUL_2025, "needs_information", None),
    (65, {"poverty_status": "poor", "has_supporter": True}, JUL_2025, "not_eligible", None),
    (65, {"poverty_status": "poor", "has_supporter": False}, date(2021, 6, 30), "not_eligible", None),
]  # fmt: skip


@pytest.mark.parametrize(("age", "more", "on", "result", "amount"), ALLOWANCE)
def test_older_person_social_allowance_decree_20(
    age: int, more: dict[str, Any], on: date, result: str, amount: int | None
) -> None:
    screening = social_allowance_elderly(facts(age, on, **more), on, TABLE)
    assert (screening.result, screening.amount) == (result, amount)


def test_the_higher_of_social_pension_and_social_allowance_not_both() -> None:
    poor_alone = facts(82, JUL_2025, poverty_status="poor", has_supporter=False, monthly_pension=0)
    assert choose_monthly_benefit(poor_alone, JUL_2025, TABLE) == (
        "social_allowance_elderly",
        1_000_000,
    )
    assert (
        "higher_of:social_allowance_elderly" in social_pension(poor_alone, JUL_2025, TABLE).reasons
    )
    plain = facts(76, JUL_2025, monthly_pension=0, poverty_status="none")
    assert choose_monthly_benefit(plain, JUL_2025, TABLE) == ("social_pension", 500_000)
    # 75-79 in an especially difficult commune: allowance 500k = pension 500k → one of them
    tie = facts(77, JUL_2025, poverty_status="poor", especially_difficult_commune=True,
                monthly_pension=0)  # fmt: skip
    scheme, amount = choose_monthly_benefit(tie, JUL_2025, TABLE)
    assert amount == 500_000 and scheme in ("social_pension", "social_allowance_elderly")
    assert choose_monthly_benefit(facts(50, JUL_2025, poverty_status="none"), JUL_2025, TABLE) == (
        None,
        0,
    )


DISABILITY = [
    (40, "severe", date(2024, 7, 1), 750_000),
    (40, "severe", date(2024, 6, 1), 540_000),
    (40, "especially_severe", date(2024, 7, 1), 1_000_000),
    (10, "severe", date(2024, 7, 1), 1_000_000),
    (70, "severe", date(2024, 7, 1), 1_000_000),
    (70, "especially_severe", date(2024, 7, 1), 1_250_000),
    (10, "especially_severe", date(2023, 7, 1), 900_000),
]


@pytest.mark.parametrize(("age", "level", "on", "amount"), DISABILITY)
def test_disability_allowance(age: int, level: str, on: date, amount: int) -> None:
    screening = disability_allowance(facts(age, on, disability_level=level), on, TABLE)
    assert (screening.result, screening.amount) == ("eligible", amount)


def test_mild_or_unknown_disability_is_not_an_allowance() -> None:
    assert (
        disability_allowance(facts(40, JUL_2025, disability_level="mild"), JUL_2025, TABLE).result
        == "not_eligible"
    )
    assert disability_allowance(facts(40, JUL_2025), JUL_2025, TABLE).result == "needs_information"


HEALTH = [
    (40, {"poverty_status": "poor"}, JUN_2025, "eligible", 100),
    (40, {"poverty_status": "near_poor"}, JUN_2025, "eligible", 70),
    (40, {"poverty_status": "none"}, JUN_2025, "not_eligible", None),
    (40, {}, JUN_2025, "needs_information", None),
    # a social-pension recipient gets a state-paid card, from 1 Jul 2025
    (76, {"poverty_status": "none", "monthly_pension": 0}, JUN_2025, "not_eligible", None),
    (76, {"poverty_status": "none", "monthly_pension": 0}, JUL_2025, "eligible", 100),
    (72, {"poverty_status": "near_poor", "monthly_pension": 0}, JUL_2025, "eligible", 100),
]


@pytest.mark.parametrize(("age", "more", "on", "result", "share"), HEALTH)
def test_health_insurance_card_support(
    age: int, more: dict[str, Any], on: date, result: str, share: int | None
) -> None:
    screening = health_insurance(facts(age, on, **more), on, TABLE)
    assert (screening.result, screening.state_share_percent) == (result, share)


FUNERAL = [
    (True, date(2024, 7, 1), "eligible", 10_000_000),
    (True, date(2024, 6, 30), "eligible", 7_200_000),
    (False, date(2024, 7, 1), "not_eligible", None),
    (None, date(2024, 7, 1), "needs_information", None),
]


@pytest.mark.parametrize(("receives", "on", "result", "lump_sum"), FUNERAL)
def test_funeral_support(
    receives: bool | None, on: date, result: str, lump_sum: int | None
) -> None:
    screening = funeral_support(Facts(receives_monthly_benefit=receives), on, TABLE)
    assert (screening.result, screening.lump_sum) == (result, lump_sum)


@pytest.mark.parametrize(
    ("area", "on", "line"),
    [
        ("rural", date(2022, 1, 1), 1_500_000),
        ("urban", date(2026, 12, 31), 2_000_000),
        ("rural", date(2027, 1, 1), 2_200_000),
        ("urban", date(2030, 6, 1), 2_800_000),
        ("rural", date(2021, 12, 31), None),
    ],
)
def test_poverty_lines(area: str, on: date, line: int | None) -> None:
    assert poverty_line(area, on, TABLE) == line  # type: ignore[arg-type]


def test_every_parameter_names_its_legal_basis_and_the_table_has_a_version() -> None:
    assert TABLE.version
    assert all(row.legal_basis for row in TABLE.rows)


def test_overlapping_periods_are_refused() -> None:
    row = Parameter("base", "assistance_level_vnd", 1, date(2024, 1, 1), None, "test")
    with pytest.raises(ParameterTableInvalid):
        ParameterTable("bad", (*TABLE.rows, row))


@pytest.mark.parametrize(
    ("birth", "age", "first"),
    [
        (date(1950, 7, 1), 75, date(2025, 7, 1)),
        (date(1950, 7, 2), 75, date(2025, 8, 1)),
        (date(1950, 12, 15), 75, date(2026, 1, 1)),
        (date(1952, 2, 29), 70, date(2022, 3, 1)),
    ],
)
def test_the_month_start_at_which_a_person_reaches_an_age(
    birth: date, age: int, first: date
) -> None:
    assert first_month_start_at_age(birth, age) == first
