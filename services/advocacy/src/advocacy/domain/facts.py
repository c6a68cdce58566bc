"""What the rules read about a person on a date. Gathered by advocacy from its own read
models; the snapshot goes into EligibilityScreened (sensitive) so results stay explainable."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ishc_contracts.advocacy.events import FactValue

PovertyStatus = Literal["poor", "near_poor", "escaped", "none"]
DisabilityLevel = Literal["mild", "severe", "especially_severe"]


class Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    birth_date: date | None = None
    poverty_status: PovertyStatus | None = None  # the status valid on the screening date
    monthly_pension: int | None = None  # VND; 0 = none; None = unknown
    has_supporter: bool | None = None
    especially_difficult_commune: bool | None = None
    disability_level: DisabilityLevel | None = None
    receives_monthly_benefit: bool | None = None  # for funeral support

    def snapshot(self, on: date) -> dict[str, FactValue]:
        """Flat, JSON-friendly facts, with the age on `on` spelled out."""
        flat: dict[str, FactValue] = {
            k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.model_dump().items()
        }
        flat["age"] = age_on(self.birth_date, on) if self.birth_date else None
        return flat

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, FactValue]) -> Facts:
        return cls.model_validate({k: v for k, v in snapshot.items() if k != "age"})


def age_on(birth_date: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def first_month_start_at_age(birth_date: date, age: int) -> date:
    """The first day-1-of-a-month on which a person is at least `age` years old."""
    try:
        birthday = birth_date.replace(year=birth_date.year + age)
    except ValueError:  # born on 29 February
        birthday = date(birth_date.year + age, 3, 1)
    if birthday.day == 1:
        return birthday
    if birthday.month == 12:
        return date(birthday.year + 1, 1, 1)
    return date(birthday.year, birthday.month + 1, 1)
