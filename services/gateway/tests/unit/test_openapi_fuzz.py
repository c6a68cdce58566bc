"""A property-based walk over `/openapi.json` (schemathesis-style, with hypothesis): whatever
a client sends to any operation, the gateway answers without a 5xx, errors are problem+json,
and successes match the documented response model."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.auth import Role
from gateway.testing import EXTRA_COMMANDS, EXTRA_QUERIES, FakeBus, auth, dev_settings, token
from ishc_contracts.catalogue import SERVICE_COMMANDS

pytestmark = pytest.mark.unit

APP = create_app(
    dev_settings(), bus=FakeBus(), extra_commands=EXTRA_COMMANDS, extra_queries=EXTRA_QUERIES
)
CLIENT = TestClient(APP, raise_server_exceptions=False)
SPEC = APP.openapi()
OPERATIONS = sorted(
    (path, method)
    for path, item in SPEC["paths"].items()
    for method in item
    if path.startswith("/v1/") and path != "/v1/dev/tokens"
)
BEARERS = [
    token(Role.NATIONAL_ADMIN, clubs=()),
    token(Role.CLUB_SECRETARY),
    token(Role.VOLUNTEER),
    token(Role.OPERATOR, clubs=()),
    "garbage",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.uuids().map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that mostly satisfy a JSON schema: enough to reach the success paths."""
    if "$ref" in schema:
        return from_schema(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], depth)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, depth) for s in schema[key]])
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt == "date":
            return st.dates().map(str)
        if fmt == "date-time":
            return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
        low, high = schema.get("minLength", 1), min(schema.get("maxLength", 12), 12)
        return st.text(alphabet="abcxyz", min_size=low, max_size=max(low, high))
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 10**6 + 1) - 1)
        return st.integers(min_value=low, max_value=max(low, high))
    if kind == "number":
        return st.floats(min_value=0, max_value=100)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = from_schema(schema.get("items", {}), depth + 1)
        low = schema.get("minItems", 0)
        return st.lists(items, min_size=low, max_size=max(low, min(schema.get("maxItems", 2), 2)))
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return st.just({})
        required = set(schema.get("required", ()))
        props = schema.get("properties", {})
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
        )
    return json_values


def _schema_of(path: str, method: str) -> dict[str, Any]:
    operation = SPEC["paths"][path][method]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    return SPEC["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], Any, dict[str, str]]:
    path, method = draw(st.sampled_from(OPERATIONS))
    operation = SPEC["paths"][path][method]
    properties = _schema_of(path, method).get("properties", {})
    body: Any = draw(
        st.one_of(
            json_values,
            st.fixed_dictionaries(dict.fromkeys(properties, json_values)),
        )
    )
    valid = draw(st.booleans())
    params = {
        p["name"]: draw(
            from_schema(p["schema"]).map(str)
            if valid
            else scalars.map(lambda v: "" if v is None else str(v))
        )
        for p in operation.get("parameters", [])
        if p["in"] == "query"
        and (p.get("required") or draw(st.booleans()))
        and not (valid and p["name"] == "consistency")
    }
    headers = auth(draw(st.sampled_from(BEARERS)))
    if draw(st.integers(0, 3)) > 0:
        headers["Idempotency-Key"] = draw(
            st.one_of(st.uuids().map(str), st.text(alphabet="abcdef0123456789-xyz", max_size=40))
        )
    return path, method, params, body, headers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_no_operation_answers_5xx_and_every_answer_matches_its_schema(
    request: tuple[str, str, dict[str, Any], Any, dict[str, str]],
) -> None:
    path, method, params, body, headers = request
    headers = {
        k: v.encode("utf-8", "replace").decode("latin-1", "replace") for k, v in headers.items()
    }
    if method == "get":
        response = CLIENT.get(path, params=params, headers=headers)
    else:
        response = CLIENT.post(path, params=params, json=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"].startswith("https://ishc.vn/problems/")
        assert problem["status"] == response.status_code
        assert str(response.status_code) in SPEC["paths"][path][method]["responses"]
    else:
        media = response.headers["content-type"].split(";")[0]
        schema = success_schema(path, method, response.status_code, media)
        if media == "application/json":
            assert not mismatches(response.json(), schema), mismatches(response.json(), schema)


def success_schema(path: str, method: str, status: int, media: str) -> dict[str, Any]:
    """The documented schema of a success: its own status's, else the operation's first
    documented success with content (a command's 200 repeat shares its 201 schema)."""
    responses = SPEC["paths"][path][method]["responses"]
    candidates = [str(status), *sorted(c for c in responses if c.startswith("2"))]
    for code in candidates:
        content = responses.get(code, {}).get("content", {})
        if content:
            assert media in content, f"{path} answered {status} as undocumented {media}"
            schema: dict[str, Any] = content[media].get("schema", {})
            return schema
    raise AssertionError(f"{path} documents no success content")


def mismatches(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Where `value` breaks the JSON schema (the subset FastAPI emits); [] when it fits."""
    if "$ref" in schema:
        return mismatches(
            value, SPEC["components"]["schemas"][schema["$ref"].rsplit("/")[-1]], where
        )
    for key in ("anyOf", "oneOf"):
        if key in schema:
            fits = any(not mismatches(value, option, where) for option in schema[key])
            return [] if fits else [f"{where}: fits no {key} option"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: {value!r} is not {schema['const']!r}"]
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind in types and not isinstance(value, types[kind]):
        return [f"{where}: {value!r} is not {kind}"]
    if kind in ("integer", "number") and (
        isinstance(value, bool) or not isinstance(value, int if kind == "integer" else int | float)
    ):
        return [f"{where}: {value!r} is not {kind}"]
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{where}.{k}: missing" for k in schema.get("required", ()) if k not in value]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                found += mismatches(item, properties[key], f"{where}.{key}")
            elif extra is False:
                found.append(f"{where}.{key}: not documented")
            elif isinstance(extra, dict):
                found += mismatches(item, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += mismatches(item, schema["items"], f"{where}[{index}]")
    return found


def test_the_walk_covers_every_contract_command() -> None:
    paths = {path for path, _ in OPERATIONS}
    assert len(paths) >= sum(len(c) for c in SERVICE_COMMANDS.values())


def test_the_schema_check_sees_a_broken_answer() -> None:
    answer = success_schema("/v1/sample/queries/balance", "get", 200, "application/json")
    assert mismatches({"data": {"balance": 3}, "stale": False}, answer) == []
    assert sorted(mismatches({"data": 3}, answer)) == [
        "$.data: 3 is not object",
        "$.stale: missing",
    ]
    report = success_schema("/v1/reports/indicators", "get", 200, "application/json")
    assert mismatches({"data": {"units": []}}, report)
    assert mismatches({"data": []}, report)
