"""Care policy parameters. Data, not logic: change them here (or make them effective-dated
reference data) rather than editing literals in the decide functions.

Physiological ranges reject typing errors (a systolic of 14 for 140), not illness: values far
outside a healthy range but possible in a sick older person are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


SYSTOLIC_MMHG = Range(60, 260)
DIASTOLIC_MMHG = Range(30, 160)
GLUCOSE_MMOL_L = Range(1.0, 40.0)
WEIGHT_KG = Range(20.0, 200.0)

DEFAULT_VISITS_PER_WEEK = 2
# Two missed weeks in a row take the case to the club board (domain A3, decision D).
ESCALATE_AFTER_MISSES = 2
# The week is closed this long after Monday 00:00 Viet Nam time, so offline devices that
# sync on Sunday evening still count on time; later visits correct the week afterwards.
WEEK_CLOSE_GRACE = timedelta(hours=6)
# Members are expected to have at least one health check a calendar year from this age.
CHECKUP_AGE = 60
