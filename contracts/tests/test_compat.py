"""The compatibility checker, on hand-written schema pairs and on pydantic-made ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import pytest

from ishc_contracts.compat import check_compatible
from ishc_contracts.events import Event, Sensitive

pytestmark = pytest.mark.unit

Schema = dict[str, Any]

BASE: Schema = {
    "type": "object",
    "title": "LoanThing",
    "description": "A loan fact.",
    "additionalProperties": False,
    "properties": {
        "loan_id": {"type": "string", "format": "uuid"},
        "amount": {"type": "integer", "minimum": 0, "description": "VND"},
        "reason": {"type": "string", "enum": ["death", "disaster"]},
        "kind": {"type": "string", "const": "cash"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "pressure": {
            "anyOf": [{"$ref": "#/$defs/Pressure"}, {"type": "null"}],
            "default": None,
            "x-sensitive": True,
        },
        "schedule": {"type": "array", "items": {"$ref": "#/$defs/Installment"}},
    },
    "required": ["loan_id", "amount", "reason", "kind", "schedule"],
    "$defs": {
        "Installment": {
            "type": "object",
            "properties": {
                "due_on": {"type": "string", "format": "date"},
                "principal": {"type": "integer"},
            },
            "required": ["due_on", "principal"],
        },
        "Pressure": {
            "type": "object",
            "properties": {"systolic": {"type": "integer"}, "diastolic": {"type": "integer"}},
            "required": ["systolic", "diastolic"],
        },
    },
}


def changed(mutate: Callable[[Schema], object]) -> list[str]:
    new = copy.deepcopy(BASE)
    mutate(new)
    return check_compatible(BASE, new)


def props(schema: Schema) -> Schema:
    result: Schema = schema["properties"]
    return result


def test_identical_schemas_are_compatible() -> None:
    assert check_compatible(BASE, copy.deepcopy(BASE)) == []


def test_removed_field_is_incompatible() -> None:
    assert changed(lambda s: props(s).pop("note")) == ["note: field removed"]


def test_changed_type_is_incompatible() -> None:
    issues = changed(lambda s: props(s).update(amount={"type": "number", "minimum": 0}))
    assert issues == ["amount: type changed from integer to number"]


def test_changed_format_in_a_nested_model_names_the_path() -> None:
    def mutate(s: Schema) -> None:
        s["$defs"]["Installment"]["properties"]["due_on"]["format"] = "date-time"

    assert changed(mutate) == [
        "schedule[].due_on: type changed from string/date to string/date-time"
    ]


def test_field_removed_from_a_nested_model_is_incompatible() -> None:
    def mutate(s: Schema) -> None:
        del s["$defs"]["Installment"]["properties"]["principal"]
        s["$defs"]["Installment"]["required"] = ["due_on"]

    assert changed(mutate) == ["schedule[].principal: field removed"]


def test_making_a_required_field_nullable_is_incompatible() -> None:
    def mutate(s: Schema) -> None:
        props(s)["amount"] = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}

    assert changed(mutate) == ["amount: type changed from integer to integer | null"]


def test_new_required_field_is_incompatible() -> None:
    def mutate(s: Schema) -> None:
        props(s)["fund_id"] = {"type": "string", "format": "uuid"}
        s["required"].append("fund_id")

    assert changed(mutate) == ["fund_id: new required field added"]


def test_new_optional_field_is_compatible() -> None:
    def mutate(s: Schema) -> None:
        props(s)["receipt"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}

    assert changed(mutate) == []


def test_optional_field_made_required_is_incompatible() -> None:
    assert changed(lambda s: s["required"].append("note")) == ["note: optional field made required"]


def test_required_field_made_optional_is_incompatible() -> None:
    assert changed(lambda s: s["required"].remove("amount")) == [
        "amount: required field made optional (old readers need it)"
    ]


def test_removed_enum_value_is_incompatible() -> None:
    issues = changed(lambda s: props(s)["reason"].update(enum=["death"]))
    assert issues == ["reason: enum values removed: 'disaster'"]


def test_added_enum_value_is_incompatible_for_old_readers() -> None:
    issues = changed(lambda s: props(s)["reason"].update(enum=["death", "disaster", "illness"]))
    assert issues == ["reason: enum values added: 'illness' (old readers reject them)"]


def test_literal_widened_from_one_value_is_an_added_enum_value() -> None:
    def mutate(s: Schema) -> None:
        props(s)["kind"] = {"type": "string", "enum": ["cash", "in_kind"]}

    assert changed(mutate) == ["kind: enum values added: 'in_kind' (old readers reject them)"]


def test_removed_sensitive_mark_is_incompatible() -> None:
    assert changed(lambda s: props(s)["pressure"].pop("x-sensitive")) == [
        "pressure: x-sensitive mark removed"
    ]


def test_added_sensitive_mark_is_incompatible() -> None:
    assert changed(lambda s: props(s)["note"].update({"x-sensitive": True})) == [
        "note: x-sensitive mark added (stored values are in clear)"
    ]


def test_changed_constraint_is_incompatible() -> None:
    assert changed(lambda s: props(s)["amount"].update(minimum=1)) == [
        "amount: constraint minimum changed from 0 to 1"
    ]


def test_descriptions_titles_defaults_and_extra_properties_may_change() -> None:
    def mutate(s: Schema) -> None:
        s["description"] = "Another wording."
        s["title"] = "Renamed title"
        s["additionalProperties"] = True
        props(s)["amount"]["description"] = "Amount in VND"
        props(s)["note"]["default"] = "n/a"
        props(s)["note"]["examples"] = ["a note"]

    assert changed(mutate) == []


def test_recursive_schemas_terminate() -> None:
    tree: Schema = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                    "parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]},
                },
            }
        },
    }
    assert check_compatible(tree, copy.deepcopy(tree)) == []


class _V1(Event):
    service: ClassVar[str] = "finance"
    aggregate: ClassVar[str] = "loan"

    amount: int
    reason: Literal["death", "disaster"]
    glucose: float | None = Sensitive("health", default=None)


class _V1WithOptionalField(_V1):
    receipt: str | None = None


class _V1WithNewReason(Event):
    service: ClassVar[str] = "finance"
    aggregate: ClassVar[str] = "loan"

    amount: int
    reason: Literal["death", "disaster", "illness"]
    glucose: float | None = Sensitive("health", default=None)


class _V1WithoutMark(_V1):
    glucose: float | None = None


def test_pydantic_schemas_adding_an_optional_field_are_compatible() -> None:
    old, new = _V1.model_json_schema(), _V1WithOptionalField.model_json_schema()
    assert check_compatible(old, new) == []


def test_pydantic_schemas_adding_a_literal_value_are_incompatible() -> None:
    old, new = _V1.model_json_schema(), _V1WithNewReason.model_json_schema()
    assert check_compatible(old, new) == [
        "reason: enum values added: 'illness' (old readers reject them)"
    ]


def test_pydantic_schemas_dropping_the_sensitive_mark_are_incompatible() -> None:
    old, new = _V1.model_json_schema(), _V1WithoutMark.model_json_schema()
    assert check_compatible(old, new) == ["glucose: x-sensitive mark removed"]
