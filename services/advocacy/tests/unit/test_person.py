"""Benefit facts the club records (pension, supporter): only what changed is appended."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from advocacy.application.aggregates import PERSON
from advocacy.domain import person
from ishc_contracts.advocacy.commands import RecordBenefitFacts
from ishc_contracts.advocacy.events import BenefitFactsRecorded
from ishc_contracts.events import sensitive_fields
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit

WHO, CLUB = UUID(int=1), UUID(int=2)
NO_PENSION = RecordBenefitFacts(
    person_id=WHO, club_id=CLUB, recorded_on=date(2025, 7, 1), monthly_pension=0
)
RECORDED = BenefitFactsRecorded(
    person_id=WHO, club_id=CLUB, recorded_on=date(2025, 7, 1), monthly_pension=0
)


def test_facts_are_recorded_and_a_repeat_of_the_same_facts_appends_nothing() -> None:
    spec(PERSON).when(lambda s: person.record_facts(s, NO_PENSION)).then(RECORDED)
    spec(PERSON).given(RECORDED).when(lambda s: person.record_facts(s, NO_PENSION)).then_nothing()


def test_a_fact_left_out_is_unchanged() -> None:
    supporter = RecordBenefitFacts(
        person_id=WHO, club_id=CLUB, recorded_on=date(2025, 8, 1), has_supporter=False
    )
    spec(PERSON).given(RECORDED).when(lambda s: person.record_facts(s, supporter)).then(
        BenefitFactsRecorded(**supporter.model_dump())
    ).then_state(lambda s: s.monthly_pension == 0 and s.has_supporter is False)


def test_pension_and_supporter_are_sensitive() -> None:
    assert {"monthly_pension", "has_supporter"} <= sensitive_fields(BenefitFactsRecorded)
