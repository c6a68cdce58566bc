"""An example payload of every finance event, each surviving a JSON round trip through the
catalogue. Written in the style of contracts/tests/test_catalogue.py's EXAMPLES (same ids) so
that the entries can be merged there."""

from __future__ import annotations

import json

import pytest

from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.finance import EVENTS
from ishc_contracts.finance.examples import EXAMPLES as FINANCE_CONTRACT_EXAMPLES

pytestmark = pytest.mark.unit


FINANCE_EXAMPLES = FINANCE_CONTRACT_EXAMPLES
# Already in contracts/tests/test_catalogue.py.
COVERED_THERE = {
    "finance.FundCapitalised",
    "finance.LoanApplied",
    "finance.LoanApproved",
    "finance.LoanIssued",
    "finance.RepaymentReceived",
    "finance.LoanBecameOverdue",
    "finance.LoanWrittenOff",
    "finance.MembershipFeeReceived",
    "finance.MutualAidGranted",
}


def test_every_finance_event_has_an_example_here_or_there() -> None:
    assert set(FINANCE_EXAMPLES) | COVERED_THERE == {e.wire_name() for e in EVENTS}


@pytest.mark.parametrize("wire_name", sorted(FINANCE_EXAMPLES))
def test_a_finance_event_survives_a_json_round_trip(wire_name: str) -> None:
    model = REGISTRY.model(wire_name)
    event = REGISTRY.decode(wire_name, model.schema_version, FINANCE_EXAMPLES[wire_name])
    on_the_wire = json.loads(event.model_dump_json())
    assert REGISTRY.decode(wire_name, model.schema_version, on_the_wire) == event
