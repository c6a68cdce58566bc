"""Properties over many people and dates: the higher-of rule never pays both, and the law
in force on a date is the only law a rule reads."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advocacy.domain.facts import Facts
from advocacy.domain.policy_table import TABLE
from advocacy.domain.rules import (
    RULES,
    choose_monthly_benefit,
    social_allowance_elderly,
    social_pension,
)

pytestmark = pytest.mark.unit

facts = st.builds(
    Facts,
    birth_date=st.dates(date(1920, 1, 1), date(2020, 1, 1)),
    poverty_status=st.sampled_from(["poor", "near_poor", "escaped", "none", None]),
    monthly_pension=st.one_of(st.none(), st.integers(0, 5_000_000)),
    has_supporter=st.sampled_from([True, False, None]),
    especially_difficult_commune=st.sampled_from([True, False, None]),
    disability_level=st.sampled_from(["mild", "severe", "especially_severe", None]),
    receives_monthly_benefit=st.sampled_from([True, False, None]),
)
days = st.dates(date(2021, 7, 1), date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(facts, days)
def test_the_monthly_benefit_is_the_higher_one_never_the_sum(who: Facts, on: date) -> None:
    pension = social_pension(who, on, TABLE)
    allowance = social_allowance_elderly(who, on, TABLE)
    amounts = [s.amount or 0 for s in (pension, allowance) if s.result == "eligible"]
    _, paid = choose_monthly_benefit(who, on, TABLE)
    assert paid == max(amounts, default=0)


@settings(max_examples=300, deadline=None)
@given(facts, days)
def test_every_rule_answers_and_money_is_whole_vnd(who: Facts, on: date) -> None:
    for _version, rule in RULES.values():
        screening = rule(who, on, TABLE)
        assert screening.result in ("eligible", "not_eligible", "needs_information")
        assert screening.reasons
        for amount in (screening.amount, screening.lump_sum):
            assert amount is None or (isinstance(amount, int) and amount >= 0)
        if screening.result != "eligible":
            assert screening.amount is None and screening.lump_sum is None


@settings(max_examples=200, deadline=None)
@given(facts, st.dates(date(2021, 7, 1), date(2025, 6, 30)))
def test_no_social_pension_before_1_july_2025(who: Facts, on: date) -> None:
    assert social_pension(who, on, TABLE).reasons == ("scheme_not_in_force",)
