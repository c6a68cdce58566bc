"""A screening is made once and kept: replaying with a changed parameter table changes nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from advocacy.application.aggregates import SCREENING
from advocacy.domain import screening
from advocacy.domain.facts import Facts
from advocacy.domain.parameters import Parameter
from advocacy.domain.policy_table import TABLE
from ishc_contracts.advocacy.events import EligibilityScreened
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.events import sensitive_fields
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit

SID, PERSON, CLUB = UUID(int=1), UUID(int=2), UUID(int=3)
JUL = date(2025, 7, 1)
FACTS = Facts(birth_date=date(1948, 3, 2), monthly_pension=0, poverty_status="none")
NEW_LAW = TABLE.replaced(
    "vn-2026-test",
    [Parameter("social_pension", "monthly_amount_vnd", 650_000, date(2025, 7, 1), None, "test")],
)


def screen(state: screening.ScreeningState, params=TABLE) -> list:  # type: ignore[no-untyped-def, type-arg]
    return screening.screen(
        state, screening_id=SID, person_id=PERSON, member_id=None, club_id=CLUB,
        scheme="social_pension", as_of=JUL, facts=FACTS, params=params, trigger="age_75",
    )  # fmt: skip


def made() -> EligibilityScreened:
    (event,) = screen(SCREENING.initial)
    assert isinstance(event, EligibilityScreened)
    return event


def test_the_event_keeps_scheme_result_rule_and_table_versions_and_the_facts() -> None:
    event = made()
    assert (event.result, event.expected_monthly_amount) == ("eligible", 500_000)
    assert event.rule_version == "social_pension/2025-07.1"
    assert event.parameters_version == TABLE.version
    assert event.facts is not None and event.facts["age"] == 77
    assert event.facts["birth_date"] == "1948-03-02"
    assert "facts" in sensitive_fields(EligibilityScreened)


def test_screening_again_with_the_same_id_appends_nothing() -> None:
    spec(SCREENING).given(made()).when(screen).then_nothing()


def test_replaying_the_stream_with_a_changed_table_does_not_change_past_screenings() -> None:
    stored = made().model_dump(mode="json")
    # the table changes (a higher amount); the stored event is replayed through the registry
    replayed = REGISTRY.decode("advocacy.EligibilityScreened", 1, stored)
    state = SCREENING.evolve(SCREENING.initial, replayed)
    assert state.screened is not None
    kept = state.screened
    assert (kept.result, kept.expected_monthly_amount) == ("eligible", 500_000)
    assert kept.parameters_version == TABLE.version
    # a new screening under the new table gets the new amount, and says which table it read
    (fresh,) = screen(SCREENING.initial, NEW_LAW)
    assert (fresh.expected_monthly_amount, fresh.parameters_version) == (650_000, "vn-2026-test")


def test_a_past_screening_is_explained_again_from_its_own_facts() -> None:
    event = made()
    assert event.facts is not None
    again = Facts.from_snapshot(event.facts)
    assert again == FACTS
