"""Health check specs: recorded once by check_id; implausible values and future dates refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from care.application.aggregates import HEALTH_CHECK
from care.domain.errors import InTheFuture, MemberIsAnotherPerson, OutOfRange
from care.domain.health import record_health_check
from ishc_contracts.care.commands import RecordHealthCheck
from ishc_contracts.care.events import HealthCheckRecorded
from ishc_runtime.testing.specs import spec

from .builders import CLUB, NOW, PERSON, uid

pytestmark = pytest.mark.unit


def check(**extra: Any) -> RecordHealthCheck:
    return RecordHealthCheck.model_validate(
        {
            "check_id": uid(300), "club_id": CLUB, "person_id": PERSON,
            "checked_on": date(2026, 12, 20), "provider": "commune_health_station",
            "blood_pressure": {"systolic": 135, "diastolic": 85}, "glucose_mmol_l": 6.1, **extra,
        }
    )  # fmt: skip


def test_a_health_check_is_recorded_once() -> None:
    recorded = HealthCheckRecorded(**check().model_dump())
    spec(HEALTH_CHECK).when(lambda s: record_health_check(s, check(), NOW)).then(recorded)
    spec(HEALTH_CHECK).given(recorded).when(
        lambda s: record_health_check(s, check(), NOW)
    ).then_nothing()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"glucose_mmol_l": 0.5}, "glucose_mmol_l"),
        ({"glucose_mmol_l": 41.0}, "glucose_mmol_l"),
        ({"weight_kg": 15.0}, "weight_kg"),
        ({"blood_pressure": {"systolic": 300, "diastolic": 90}}, "blood_pressure.systolic"),
    ],
)
def test_implausible_measurements_are_refused(extra: dict[str, Any], field: str) -> None:
    spec(HEALTH_CHECK).when(lambda s: record_health_check(s, check(**extra), NOW)).then_raises(
        OutOfRange, field=field
    )


def test_a_check_in_the_future_is_refused() -> None:
    spec(HEALTH_CHECK).when(
        lambda s: record_health_check(s, check(checked_on=date(2026, 12, 24)), NOW)
    ).then_raises(InTheFuture, field="checked_on")


def test_a_check_filed_under_another_persons_membership_is_refused() -> None:
    member = uid(301)
    someone_else = uid(302)
    spec(HEALTH_CHECK).when(
        lambda s: record_health_check(s, check(member_id=member), NOW, member_person=someone_else)
    ).then_raises(MemberIsAnotherPerson, field="member_id")


def test_a_check_under_the_persons_own_membership_is_recorded() -> None:
    member = uid(301)
    outcome = spec(HEALTH_CHECK).when(
        lambda s: record_health_check(s, check(member_id=member), NOW, member_person=PERSON)
    )
    assert [type(e) for e in outcome.events] == [HealthCheckRecorded]
