"""Physiological plausibility of measurements (ranges in rules.py)."""

from __future__ import annotations

from care.domain import rules
from care.domain.errors import OutOfRange
from ishc_contracts.care.events import BloodPressure


def check_blood_pressure(bp: BloodPressure | None, field: str = "blood_pressure") -> None:
    if bp is None:
        return
    if bp.systolic not in rules.SYSTOLIC_MMHG:
        raise OutOfRange(
            f"systolic {bp.systolic} mmHg is outside {rules.SYSTOLIC_MMHG.low:g}"
            f"-{rules.SYSTOLIC_MMHG.high:g}",
            field=f"{field}.systolic",
        )
    if bp.diastolic not in rules.DIASTOLIC_MMHG:
        raise OutOfRange(
            f"diastolic {bp.diastolic} mmHg is outside {rules.DIASTOLIC_MMHG.low:g}"
            f"-{rules.DIASTOLIC_MMHG.high:g}",
            field=f"{field}.diastolic",
        )
    if bp.diastolic >= bp.systolic:
        raise OutOfRange(
            f"diastolic {bp.diastolic} is not below systolic {bp.systolic}",
            field=f"{field}.diastolic",
        )
