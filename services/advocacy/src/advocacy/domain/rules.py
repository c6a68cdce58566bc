"""Eligibility rules: pure functions `rule(facts, on, params) -> Screening`.

Rules are code, parameters are data: every number comes from the ParameterTable by
(scheme, key, date), so a rule evaluated for June 2025 reads June 2025's law.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Literal

from advocacy.domain.errors import UnknownScheme
from advocacy.domain.facts import Facts, age_on
from advocacy.domain.parameters import ParameterTable, coefficient_amount

Result = Literal["eligible", "not_eligible", "needs_information"]
POOR = ("poor", "near_poor")


@dataclass(frozen=True)
class Screening:
    result: Result
    amount: int | None = None  # monthly VND
    reasons: tuple[str, ...] = ()
    lump_sum: int | None = None
    state_share_percent: int | None = None


Rule = Callable[[Facts, date, ParameterTable], Screening]


def _no(*reasons: str) -> Screening:
    return Screening("not_eligible", reasons=reasons)


def _unknown(*reasons: str) -> Screening:
    return Screening("needs_information", reasons=reasons)


def _base(on: date, params: ParameterTable) -> int | None:
    return params.get("base", "assistance_level_vnd", on)


def social_pension(facts: Facts, on: date, params: ParameterTable) -> Screening:
    """Law on SI 2024 Art. 21: >=75, or 70-74 in a poor/near-poor household; no pension
    of 500,000 VND or more; 500,000 VND a month; the higher of it and the social allowance."""
    get = partial(params.get, "social_pension", on=on)
    if not params.in_force("social_pension", on):
        return _no("scheme_not_in_force")
    if facts.birth_date is None:
        return _unknown("birth_date_unknown")
    age = age_on(facts.birth_date, on)
    if age >= (get("min_age") or 0):
        reason = "age_75_plus"
    elif age >= (get("min_age_poor_household") or 0) and facts.poverty_status in POOR:
        reason = "age_70_poor_household"
    elif age >= (get("min_age_poor_household") or 0) and facts.poverty_status is None:
        return _unknown("poverty_status_unknown")
    else:
        return _no("below_age")
    if facts.monthly_pension is None:
        return _unknown("pension_unknown")
    if facts.monthly_pension >= (get("pension_ceiling_vnd") or 0):
        return _no("has_pension")
    amount = get("monthly_amount_vnd")
    allowance = social_allowance_elderly(facts, on, params)
    if allowance.result == "eligible" and (allowance.amount or 0) > (amount or 0):
        return Screening("eligible", amount, (reason, "higher_of:social_allowance_elderly"))
    return Screening("eligible", amount, (reason,))


def social_allowance_elderly(facts: Facts, on: date, params: ParameterTable) -> Screening:
    """Decree 20/2021: the highest-coefficient group the person falls in, x the base level."""
    get = partial(params.get, "social_allowance_elderly", on=on)
    base = _base(on, params)
    if base is None or not params.in_force("social_allowance_elderly", on):
        return _no("scheme_not_in_force")
    if facts.birth_date is None:
        return _unknown("birth_date_unknown")
    age = age_on(facts.birth_date, on)
    oldest = get("oldest_age") or 0
    groups: list[tuple[int, str]] = []
    if facts.poverty_status == "poor" and facts.has_supporter is False:
        if age >= oldest:
            groups.append((get("poor_alone_80_coef_pct") or 0, "poor_no_supporter_80_plus"))
        elif age >= (get("poor_alone_min_age") or 0):
            groups.append((get("poor_alone_coef_pct") or 0, "poor_no_supporter_60_79"))
    in_difficult = facts.especially_difficult_commune and facts.poverty_status in POOR
    if in_difficult and (get("difficult_commune_min_age") or 0) <= age < oldest:
        groups.append((get("difficult_commune_coef_pct") or 0, "poor_difficult_commune_75_79"))
    no_pension_80 = get("no_pension_80_coef_pct")
    if no_pension_80 is not None and age >= oldest and facts.monthly_pension == 0:
        groups.append((no_pension_80, "age_80_no_pension"))
    if not groups:
        if facts.poverty_status == "poor" and facts.has_supporter is None and age >= 60:
            return _unknown("supporter_unknown")
        return _no("no_group")
    coefficient, reason = max(groups)
    return Screening("eligible", coefficient_amount(base, coefficient), (reason,))


def disability_allowance(facts: Facts, on: date, params: ParameterTable) -> Screening:
    """Decree 20/2021 Art. 6: severe x1.5, especially severe x2.0; a child or an older
    person: severe x2.0, especially severe x2.5."""
    get = partial(params.get, "disability_allowance", on=on)
    base = _base(on, params)
    if base is None or not params.in_force("disability_allowance", on):
        return _no("scheme_not_in_force")
    level = facts.disability_level
    if level is None:
        return _unknown("disability_level_unknown")
    if level == "mild":
        return _no("mild_disability")
    vulnerable = facts.birth_date is not None and (
        age_on(facts.birth_date, on) < (get("child_below_age") or 0)
        or age_on(facts.birth_date, on) >= (get("older_min_age") or 0)
    )
    key = f"{'vulnerable_' if vulnerable else ''}{level}_coef_pct"
    reason = f"{level}{'_child_or_older' if vulnerable else ''}"
    return Screening("eligible", coefficient_amount(base, get(key) or 0), (reason,))


def health_insurance(facts: Facts, on: date, params: ParameterTable) -> Screening:
    """State-paid HI card: poor 100%, near-poor at least 70%, social-pension recipients 100%."""
    get = partial(params.get, "health_insurance", on=on)
    shares: list[tuple[int, str]] = []
    if facts.poverty_status == "poor" and get("poor_share_pct") is not None:
        shares.append((get("poor_share_pct") or 0, "poor_household"))
    if facts.poverty_status == "near_poor" and get("near_poor_share_pct") is not None:
        shares.append((get("near_poor_share_pct") or 0, "near_poor_household"))
    pension_share = get("social_pension_share_pct")
    if pension_share is not None and social_pension(facts, on, params).result == "eligible":
        shares.append((pension_share, "social_pension_recipient"))
    if not shares:
        if facts.poverty_status is None:
            return _unknown("poverty_status_unknown")
        return _no("no_group")
    share, reason = max(shares)
    return Screening("eligible", None, (reason,), state_share_percent=share)


def funeral_support(facts: Facts, on: date, params: ParameterTable) -> Screening:
    """Decree 20/2021 Art. 11: 20 x base level for people who received a monthly social
    allowance or the social pension."""
    base = _base(on, params)
    coefficient = params.get("funeral_support", "coef_pct", on)
    if base is None or coefficient is None:
        return _no("scheme_not_in_force")
    if facts.receives_monthly_benefit is None:
        return _unknown("benefit_history_unknown")
    if not facts.receives_monthly_benefit:
        return _no("no_monthly_benefit")
    return Screening(
        "eligible", None, ("monthly_benefit_recipient",), coefficient_amount(base, coefficient)
    )


def choose_monthly_benefit(
    facts: Facts, on: date, params: ParameterTable
) -> tuple[str | None, int]:
    """The higher of the social pension and the older-person social allowance, never both."""
    options = [
        (screening.amount or 0, scheme)
        for scheme, screening in (
            ("social_pension", social_pension(facts, on, params)),
            ("social_allowance_elderly", social_allowance_elderly(facts, on, params)),
        )
        if screening.result == "eligible"
    ]
    if not options:
        return None, 0
    amount, scheme = max(options)
    return scheme, amount


def poverty_line(area: Literal["rural", "urban"], on: date, params: ParameterTable) -> int | None:
    return params.get("poverty_line", f"{area}_income_vnd", on)


# scheme -> (rule version, rule). Bump the version when a rule's logic changes.
RULES: dict[str, tuple[str, Rule]] = {
    "social_pension": ("social_pension/2025-07.1", social_pension),
    "social_allowance_elderly": ("social_allowance_elderly/d20-2021.1", social_allowance_elderly),
    "disability_allowance": ("disability_allowance/d20-2021.1", disability_allowance),
    "health_insurance": ("health_insurance/2025.1", health_insurance),
    "funeral_support": ("funeral_support/d20-2021.1", funeral_support),
}


def rule_for(scheme: str) -> tuple[str, Rule]:
    if scheme not in RULES:
        raise UnknownScheme(f"no eligibility rule for {scheme!r}", field="scheme")
    return RULES[scheme]
