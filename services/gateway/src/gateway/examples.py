"""Request examples for the OpenAPI document, made from each model's JSON schema and kept
only when the model accepts them (so the docs never show an example that would be refused)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ishc_contracts.reference import with_valid_codes

EXAMPLE_UUID = "0193a000-0000-7000-8000-000000000001"
EXAMPLE_DATE = "2026-11-20"
EXAMPLE_DATETIME = "2026-11-20T09:30:00+07:00"


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return EXAMPLE_UUID
    if fmt == "date":
        return EXAMPLE_DATE
    if fmt == "date-time":
        return EXAMPLE_DATETIME
    pattern = schema.get("pattern")
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", 40))
    for candidate in ("example", "01", "vi", "ABC", "a1"):
        if pattern and not re.search(pattern, candidate):
            continue
        text = (candidate * (low // len(candidate) + 1))[: max(low, min(len(candidate), high))]
        if low <= len(text) <= high:
            return text
    return "x" * max(low, 1)


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    value: float = 1
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "exclusiveMinimum" in schema:
        value = max(value, schema["exclusiveMinimum"] + 1)
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    return int(value) if integer else value


def _value(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> Any:
    if depth > 6:
        return None
    if "$ref" in schema:
        return _value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, ()) if s.get("type") != "null"]
        if options:
            return _value(options[0], defs, depth + 1)
    return _typed(schema, defs, depth)


def _typed(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> Any:
    kind = schema.get("type")
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return False
    if kind == "array":
        item = _value(schema.get("items", {}), defs, depth + 1)
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "object" or "properties" in schema:
        return {
            name: _value(sub, defs, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", ())
        }
    return None


def example_for(model: type[BaseModel]) -> dict[str, Any] | None:
    """A minimal valid body for `model` (required fields only), or None if none was found."""
    schema = model.model_json_schema()
    example = _value(schema, schema.get("$defs", {}), 0)
    if not isinstance(example, dict):
        return None
    example = with_valid_codes(getattr(model, "reference_fields", None) or {}, example)
    try:
        model.model_validate(example)
    except ValidationError:
        return None
    return example
