"""The sensitive mark: reported by `sensitive_fields`, present in schemas, always erasable."""

from __future__ import annotations

import json

import pytest

from ishc_contracts import sensitive_fields
from ishc_contracts.care.events import HealthCheckRecorded, VisitCompleted
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import DisabilityLevelRecorded, MemberJoined
from ishc_contracts.snapshots import snapshot_path

pytestmark = pytest.mark.unit

HEALTH_CHECK_SENSITIVE = {
    "blood_pressure",
    "glucose_mmol_l",
    "weight_kg",
    "observations",
    "referred_to",
}


def test_health_check_vitals_are_sensitive() -> None:
    assert sensitive_fields(HealthCheckRecorded) == HEALTH_CHECK_SENSITIVE
    assert REGISTRY.sensitive("care.HealthCheckRecorded") == HEALTH_CHECK_SENSITIVE


def test_the_mark_is_in_the_json_schema_and_only_on_marked_fields() -> None:
    properties = HealthCheckRecorded.model_json_schema()["properties"]
    marked = {name for name, schema in properties.items() if schema.get("x-sensitive") is True}
    assert marked == HEALTH_CHECK_SENSITIVE


def test_the_committed_snapshot_carries_the_mark() -> None:
    path = snapshot_path(HealthCheckRecorded, HealthCheckRecorded.schema_version)
    properties = json.loads(path.read_text(encoding="utf-8"))["properties"]
    assert {name for name, schema in properties.items() if schema.get("x-sensitive")} == (
        HEALTH_CHECK_SENSITIVE
    )


def test_id_numbers_phones_and_disability_are_sensitive_but_names_are_not() -> None:
    assert sensitive_fields(MemberJoined) == {"id_number", "phone"}
    assert "level" in sensitive_fields(DisabilityLevelRecorded)
    assert {"blood_pressure", "observations"} <= sensitive_fields(VisitCompleted)
    assert "full_name" not in sensitive_fields(MemberJoined)


def test_an_unknown_type_has_no_sensitive_fields() -> None:
    assert REGISTRY.sensitive("care.NoSuchEvent") == frozenset()


def test_every_sensitive_field_can_be_erased() -> None:
    # After crypto-shredding a sensitive value reads back as None; history must still decode.
    for model in REGISTRY.models():
        for name in sensitive_fields(model):
            field = model.model_fields[name]
            assert not field.is_required(), f"{model.wire_name()}.{name} must be optional"
            assert field.default is None, f"{model.wire_name()}.{name} must default to None"
