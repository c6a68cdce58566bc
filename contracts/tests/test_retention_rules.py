"""The `retention` reference list is coherent with the catalogue: each rule names an event of
its service carrying its date field, a category that service seals, and an optional stopping
event with its own date field."""

from __future__ import annotations

from datetime import date

import pytest

from ishc_contracts.catalogue import REGISTRY, SERVICE_EVENTS
from ishc_contracts.events import sensitive_categories
from ishc_contracts.reference import reference
from ishc_contracts.retention import RetentionRule, rules

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.code)
def test_a_rule_names_real_events_dates_and_categories(rule: RetentionRule) -> None:
    start = REGISTRY.model(rule.starts_with)
    assert start.service == rule.service
    assert start.model_fields[rule.date_field].annotation in (date, date | None)
    sealed = {c for m in SERVICE_EVENTS[rule.service] for c in sensitive_categories(m).values()}
    assert rule.category in sealed
    assert rule.years >= 1
    assert rule.legal_basis and "legal review" in rule.legal_basis
    if rule.stopped_by:
        stop = REGISTRY.model(rule.stopped_by)
        assert rule.stopped_date_field in stop.model_fields


def test_the_list_is_served_like_the_other_reference_lists() -> None:
    served = reference("retention")
    assert {e.code for e in served.entries} == {r.code for r in rules()}


def test_a_period_ends_on_the_same_day_years_later_or_the_28th_of_february() -> None:
    (rule,) = [r for r in rules() if r.code == "care.notes_after_case"]
    assert rule.ends_on(date(2026, 12, 29)) == date(2031, 12, 29)
    assert rule.ends_on(date(2028, 2, 29)) == date(2033, 2, 28)
