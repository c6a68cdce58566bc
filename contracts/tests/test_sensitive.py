"""The sensitive mark: reported by `sensitive_fields`, present in schemas, always erasable."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest
from pydantic import BaseModel, TypeAdapter

from ishc_contracts import (
    ERASED_TEXT,
    Event,
    Sensitive,
    erased_value,
    sensitive_categories,
    sensitive_fields,
)
from ishc_contracts.care.events import CareReferralReceived, HealthCheckRecorded, VisitCompleted
from ishc_contracts.catalogue import REGISTRY, all_commands
from ishc_contracts.membership.events import (
    DisabilityLevelRecorded,
    HouseholdPovertyStatusRecorded,
    MemberJoined,
)
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


def test_names_birth_dates_ids_phones_ethnicity_and_disability_are_sensitive() -> None:
    assert sensitive_categories(MemberJoined) == {
        "full_name": "identity",
        "birth_date": "identity",
        "id_number": "identity",
        "phone": "contact",
        "ethnic_minority": "ethnicity",
    }
    assert sensitive_categories(DisabilityLevelRecorded) == {
        "level": "disability",
        "certificate_no": "disability",
    }
    assert sensitive_categories(HouseholdPovertyStatusRecorded) == {
        "status": "poverty",
        "certificate_no": "poverty",
    }
    assert {"blood_pressure", "observations"} <= sensitive_fields(VisitCompleted)


def test_an_unknown_category_is_refused_where_the_field_is_declared() -> None:
    with pytest.raises(ValueError, match="unknown sensitive category 'medical'"):
        Sensitive("medical", default=None)  # type: ignore[arg-type]


# A field named like personal data must carry the mark: a new `phone` or `birth_date` in a
# command or event cannot slip onto the bus in clear because its author forgot `Sensitive()`.
PERSONAL_NAMES = re.compile(
    r"(^|_)(full_name|birth_date|phone|id_number|national_id|blood_pressure|glucose"
    r"|weight_kg|observations|diagnosis|ethnic|disability|certificate_no|daily_living)"
)
NOT_PERSONAL = {
    # A decision or an asset, not a person: keyed by whose data it is elsewhere.
    ("finance.funds.FundCapitalised", "note"),
}


def _payload_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [*REGISTRY.models(), *all_commands()]
    while pending:
        model = pending.pop()
        key = f"{model.__module__}.{model.__qualname__}"
        if key in found:
            continue
        found[key] = model
        for info in model.model_fields.values():
            for nested in _nested_models(info.annotation):
                pending.append(nested)
    return list(found.values())


def _nested_models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _nested_models(arg)]


def test_every_field_named_like_personal_data_is_marked() -> None:
    unmarked = sorted(
        f"{model.__module__}.{model.__qualname__}.{name}"
        for model in _payload_models()
        for name in model.model_fields
        if PERSONAL_NAMES.search(name)
        and name not in sensitive_fields(model)
        and (f"{model.__module__.removeprefix('ishc_contracts.')}.{model.__qualname__}", name)
        not in NOT_PERSONAL
    )
    assert unmarked == []


def test_commands_carry_the_same_marks_as_the_events_they_record() -> None:
    # A value sealed in the event must not travel in clear in the command that asked for it.
    pairs: dict[str, type[Event]] = {
        "AdmitMember": MemberJoined,
        "ReferForCare": CareReferralReceived,
    }
    commands = {command.__name__: command for command in all_commands()}
    for command_name, event in pairs.items():
        command = commands[command_name]
        shared = set(command.model_fields) & set(event.model_fields)
        assert shared
        assert sensitive_fields(command) & shared == sensitive_fields(event) & shared


def test_an_unknown_type_has_no_sensitive_fields() -> None:
    assert REGISTRY.sensitive("care.NoSuchEvent") == frozenset()


def test_every_sensitive_field_can_be_erased() -> None:
    # After crypto-shredding a sensitive value reads back as None, or as the field's declared
    # stand-in when it must stay required; either way history must still decode.
    for model in REGISTRY.models():
        for name in sensitive_fields(model):
            field = model.model_fields[name]
            stand_in = erased_value(model, name)
            if stand_in is not None:
                assert field.annotation is not None
                TypeAdapter[Any](field.annotation).validate_python(stand_in)
                continue
            assert not field.is_required(), f"{model.wire_name()}.{name} must be optional"
            assert field.default is None, f"{model.wire_name()}.{name} must default to None"


def test_a_required_name_reads_back_as_the_erased_stand_in() -> None:
    assert erased_value(MemberJoined, "full_name") == ERASED_TEXT
    assert erased_value(MemberJoined, "birth_date") is None
