"""When to screen whom, for what: the plan behind the scheduler's timers (pure).

Ages and rule dates come from the parameter table, so a new decree (a new age, a new date)
moves the timers without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from advocacy.domain.facts import first_month_start_at_age
from advocacy.domain.parameters import ParameterTable

MONTHLY = ("social_pension", "social_allowance_elderly")
ON_JOIN = (*MONTHLY, "disability_allowance", "health_insurance")
ON_POVERTY = (*MONTHLY, "health_insurance")
ON_DISABILITY = ("disability_allowance",)
ON_AGE = (*MONTHLY, "health_insurance")
# (scheme, key) of the parameters that are ages at which eligibility changes.
AGE_KEYS = (
    ("social_pension", "min_age"),
    ("social_pension", "min_age_poor_household"),
    ("social_allowance_elderly", "poor_alone_min_age"),
    ("social_allowance_elderly", "difficult_commune_min_age"),
    ("social_allowance_elderly", "oldest_age"),
)
RULE_DATE_SCHEMES = ("base", *MONTHLY)


@dataclass(frozen=True)
class PlannedScreening:
    key: str  # the timer key: idempotent, names the fact
    on: date  # the screening date (the timer is due at its start in Viet Nam)
    scheme: str
    trigger: str


def milestone_ages(params: ParameterTable) -> list[int]:
    return sorted({row.value for row in params.rows if (row.scheme, row.key) in AGE_KEYS})


def rule_dates(params: ParameterTable) -> list[date]:
    return sorted({row.valid_from for row in params.rows if row.scheme in RULE_DATE_SCHEMES})


def plan_for_member(
    person_id: UUID, birth_date: date | None, today: date, params: ParameterTable
) -> list[PlannedScreening]:
    """Future screenings: the first of the month a milestone age is reached, and every
    future date on which a rule that can pay the person changes."""
    planned: list[PlannedScreening] = []
    if birth_date is not None:
        for age in milestone_ages(params):
            on = first_month_start_at_age(birth_date, age)
            if on > today:
                planned += [
                    PlannedScreening(f"age{age}:{person_id}:{birth_date}:{s}", on, s, f"age_{age}")
                    for s in ON_AGE
                ]
    for on in rule_dates(params):
        if on > today:
            planned += [
                PlannedScreening(f"rule:{on}:{person_id}:{s}", on, s, f"rule_date_{on}")
                for s in MONTHLY
            ]
    return planned


def plan_now(
    cause: str, schemes: tuple[str, ...], on: date, trigger: str
) -> list[PlannedScreening]:
    """Screenings caused by an event (`cause` = its event id): one per scheme."""
    return [PlannedScreening(f"screen:{cause}:{s}", on, s, trigger) for s in schemes]
