"""Health checks: one stream per check, so a re-uploaded check (same check_id) records once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from care.domain import rules
from care.domain.errors import InTheFuture, MemberIsAnotherPerson, OutOfRange
from care.domain.vitals import check_blood_pressure
from care.domain.weeks import vn_today
from ishc_contracts import Event
from ishc_contracts.care.commands import RecordHealthCheck
from ishc_contracts.care.events import HealthCheckRecorded


class HealthCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    recorded: bool = False


def evolve(state: HealthCheck, event: Event) -> HealthCheck:
    if isinstance(event, HealthCheckRecorded):
        return state.model_copy(update={"recorded": True})
    return state


def record_health_check(
    state: HealthCheck,
    cmd: RecordHealthCheck,
    now: datetime,
    member_person: UUID | None = None,
) -> list[Event]:
    """`member_person`: the person care knows the named member to be (None: not known yet,
    or no member named). A check filed under another person's membership is refused: the
    reading would count in that member's record."""
    if member_person is not None and member_person != cmd.person_id:
        raise MemberIsAnotherPerson(
            f"member {cmd.member_id} is not person {cmd.person_id}", field="member_id"
        )
    if cmd.checked_on > vn_today(now):
        raise InTheFuture(f"checked_on {cmd.checked_on} is after today", field="checked_on")
    check_blood_pressure(cmd.blood_pressure)
    if cmd.glucose_mmol_l is not None and cmd.glucose_mmol_l not in rules.GLUCOSE_MMOL_L:
        raise OutOfRange(
            f"glucose {cmd.glucose_mmol_l} mmol/L is outside {rules.GLUCOSE_MMOL_L.low}"
            f"-{rules.GLUCOSE_MMOL_L.high}",
            field="glucose_mmol_l",
        )
    if cmd.weight_kg is not None and cmd.weight_kg not in rules.WEIGHT_KG:
        raise OutOfRange(
            f"weight {cmd.weight_kg} kg is outside {rules.WEIGHT_KG.low}-{rules.WEIGHT_KG.high}",
            field="weight_kg",
        )
    if state.recorded:
        return []  # the same check uploaded again
    return [HealthCheckRecorded(**cmd.model_dump())]
