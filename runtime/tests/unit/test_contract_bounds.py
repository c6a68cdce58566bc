"""Every field a caller can send is bounded, and the bounds are what pydantic enforces.

The extremes are generated from the contracts (`ishc_runtime.testing.extremes`): each command
and query of every service, every field, nested ones and list items included. The end-to-end
test (`tests/e2e/test_extreme_values.py`) sends the same extremes through the running system.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ishc_contracts.bounds import window_context
from ishc_runtime.testing.extremes import Clock, extremes, request_models, sample_model, unbounded

pytestmark = pytest.mark.unit

CONTEXT = window_context(datetime(2026, 6, 15, 3, 0, tzinfo=UTC))
CLOCK = Clock.of(CONTEXT)
MODELS = request_models()


def refusals(model: type[BaseModel], payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted field, error type) for each error pydantic finds in `payload`."""
    try:
        model.model_validate(payload, context=CONTEXT)
    except ValidationError as error:
        return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in error.errors()]
    return []


def refused_fields(model: type[BaseModel], payload: dict[str, Any]) -> list[str] | None:
    """The dotted fields pydantic names, or None if the payload is valid."""
    return [field for field, _ in refusals(model, payload)] or None


def test_the_contracts_hold_every_command_and_query() -> None:
    names = {model.__name__ for _, model in MODELS}
    assert {"RecordMembershipFee", "HoldMeeting", "WeekBoard", "Indicators"} <= names
    assert len(MODELS) > 70


@pytest.mark.parametrize(("service", "model"), MODELS, ids=lambda v: getattr(v, "__name__", v))
def test_no_field_is_unbounded(service: str, model: type[BaseModel]) -> None:
    assert unbounded(model) == []


@pytest.mark.parametrize(("service", "model"), MODELS, ids=lambda v: getattr(v, "__name__", v))
def test_each_extreme_is_accepted_or_refused_naming_its_field(
    service: str, model: type[BaseModel]
) -> None:
    baseline = sample_model(model, CLOCK)
    assert refused_fields(model, baseline) is None, baseline
    wrong = []
    for extreme in extremes(model, CLOCK):
        found = refusals(model, extreme.apply(baseline))
        if extreme.allowed:
            # Within its bounds: nothing may refuse it but a rule across fields (a grant of
            # nothing, in cash or in kind), which is a `value_error`.
            bad = [f for f, kind in found if extreme.names(f) and kind != "value_error"]
        else:
            bad = [] if any(extreme.names(f) for f, _ in found) else ["not refused"]
        if bad:
            wrong.append(f"{extreme.field} {extreme.label}: {found}")
    assert wrong == []


def test_an_unbounded_field_is_found() -> None:
    class Loose(BaseModel):
        count: int
        text: str
        items: tuple[str, ...] = ()
        day: datetime | None = None

    assert [f.split(":")[0] for f in unbounded(Loose)] == [
        "count",
        "text",
        "items",
        "items[]",
        "day",
    ]


def test_a_date_beyond_today_is_refused_only_with_the_services_clock() -> None:
    fee = next(m for _, m in MODELS if m.__name__ == "RecordMembershipFee")
    payload = {**sample_model(fee, CLOCK), "received_on": "2099-01-01"}
    fee.model_validate(payload)  # the gateway: no clock, only the fixed start is checked
    assert refused_fields(fee, payload) == ["received_on"]
    assert refused_fields(fee, {**payload, "received_on": "2005-12-31"}) == ["received_on"]
