"""Every care event has a realistic example that survives the wire (what
contracts/tests/test_catalogue.py checks for all services; these are the care entries for its
EXAMPLES table), and the sensitive mark sits on health data."""

from __future__ import annotations

import json

import pytest

from ishc_contracts import sensitive_fields
from ishc_contracts.care import EVENTS
from ishc_contracts.care.events import NeedsAssessed, VisitCompleted
from ishc_contracts.care.examples import EXAMPLES as CARE_CONTRACT_EXAMPLES
from ishc_contracts.catalogue import REGISTRY

pytestmark = pytest.mark.unit


CARE_EXAMPLES = CARE_CONTRACT_EXAMPLES


def test_every_care_event_has_an_example() -> None:
    assert set(CARE_EXAMPLES) == {model.wire_name() for model in EVENTS}


@pytest.mark.parametrize("wire_name", sorted(CARE_EXAMPLES))
def test_a_care_event_survives_a_json_round_trip(wire_name: str) -> None:
    model = REGISTRY.model(wire_name)
    event = REGISTRY.decode(wire_name, model.schema_version, CARE_EXAMPLES[wire_name])
    on_the_wire = json.loads(event.model_dump_json())
    assert REGISTRY.decode(wire_name, model.schema_version, on_the_wire) == event


def test_every_case_fact_is_published_under_the_case_aggregate() -> None:
    aggregates = {model.__name__: model.aggregate for model in EVENTS}
    assert aggregates.pop("HealthCheckRecorded") == "health_check"
    assert set(aggregates.values()) == {"case"}


def test_health_data_is_sensitive() -> None:
    assert {"blood_pressure", "observations", "follow_up"} <= sensitive_fields(VisitCompleted)
    assert {"reasons", "daily_living_needs", "note"} <= sensitive_fields(NeedsAssessed)
