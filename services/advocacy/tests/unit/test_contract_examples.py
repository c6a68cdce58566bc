"""A realistic example of every advocacy event survives the wire.

These entries are the ones `contracts/tests/test_catalogue.py::EXAMPLES` needs for the new
advocacy events (that file is outside this service's paths); keep the two in step.
"""

from __future__ import annotations

import json

import pytest

from ishc_contracts import advocacy
from ishc_contracts.advocacy.examples import EXAMPLES as ADVOCACY_CONTRACT_EXAMPLES
from ishc_contracts.catalogue import REGISTRY

pytestmark = pytest.mark.unit


EXAMPLES = ADVOCACY_CONTRACT_EXAMPLES


def test_every_advocacy_event_has_an_example() -> None:
    assert set(EXAMPLES) == {model.wire_name() for model in advocacy.EVENTS}


@pytest.mark.parametrize("wire_name", sorted(EXAMPLES))
def test_an_advocacy_event_survives_a_json_round_trip(wire_name: str) -> None:
    model = REGISTRY.model(wire_name)
    event = REGISTRY.decode(wire_name, model.schema_version, EXAMPLES[wire_name])
    on_the_wire = json.loads(event.model_dump_json())
    assert REGISTRY.decode(wire_name, model.schema_version, on_the_wire) == event
