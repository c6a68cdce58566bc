"""Regressions for what the schemathesis run over `/openapi.json` found
(`tests/e2e/test_openapi_contract.py`): answers outside the document, and 500s on odd input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from ishc_contracts import Query, new_id

from ..support import (
    CLUB_A,
    EXTRA_COMMANDS,
    FakeBus,
    auth,
    command_headers,
    dev_settings,
    token,
)

pytestmark = pytest.mark.unit

RECORD_THING = "/v1/sample/commands/record-thing"
LOOKUP = "/v1/sample/queries/lookup"
BALANCE = "/v1/sample/queries/balance"


class Lookup(Query):
    """A club's things by name (a query with a text parameter)."""

    service: ClassVar[str] = "sample"
    club_id: UUID
    name: str


@pytest.fixture
def lookup_client(bus: FakeBus) -> Iterator[TestClient]:
    app = create_app(
        dev_settings(), bus=bus, extra_commands=EXTRA_COMMANDS, extra_queries={"sample": (Lookup,)}
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def fields_of(response_json: dict[str, object]) -> list[object]:
    errors = response_json["errors"]
    assert isinstance(errors, list)
    return [error["field"] for error in errors]


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b"z\xa0\x00"])
def test_a_body_that_is_not_utf8_is_422_naming_the_body_not_400(
    client: TestClient, bus: FakeBus, body: bytes
) -> None:
    response = client.post(
        RECORD_THING,
        content=body,
        headers={**command_headers(token()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://ishc.vn/problems/validation"
    assert fields_of(response.json()) == ["<body>"]
    assert bus.commands == []


def test_malformed_json_names_the_body_not_a_character_position(client: TestClient) -> None:
    response = client.post(
        RECORD_THING,
        content=b'{"note": ',
        headers={**command_headers(token()), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert fields_of(response.json()) == ["<body>"]


def test_a_command_with_u0000_in_its_text_is_422_naming_the_field_and_is_not_sent(
    client: TestClient, bus: FakeBus
) -> None:
    response = client.post(
        RECORD_THING,
        json={"club_id": str(CLUB_A), "note": "ab\u0000c"},
        headers=command_headers(token()),
    )
    assert response.status_code == 422, response.text
    assert fields_of(response.json()) == ["note"]
    assert bus.commands == []


def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    client: TestClient, bus: FakeBus
) -> None:
    response = client.post(
        RECORD_THING,
        json={"club_id": str(CLUB_A), "note": "C:\\u0000"},
        headers=command_headers(token()),
    )
    assert response.status_code == 201, response.text
    assert len(bus.commands) == 1


def test_a_query_with_u0000_in_a_parameter_is_422_and_is_not_asked(
    lookup_client: TestClient, bus: FakeBus
) -> None:
    response = lookup_client.get(
        LOOKUP, params={"club_id": str(CLUB_A), "name": "x\u0000"}, headers=auth(token())
    )
    assert response.status_code == 422, response.text
    assert fields_of(response.json()) == ["name"]
    assert bus.queries == []


def test_a_synced_command_with_u0000_is_rejected_naming_the_field(
    client: TestClient, bus: FakeBus
) -> None:
    key = new_id()
    response = client.post(
        "/v1/sync",
        json={
            "commands": [
                {
                    "idempotency_key": str(key),
                    "service": "sample",
                    "command": "record-thing",
                    "payload": {"club_id": str(CLUB_A), "note": "\u0000"},
                    "device_time": "2026-11-20T09:30:00+07:00",
                }
            ]
        },
        headers=auth(token()),
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert [e["field"] for e in result["problem"]["errors"]] == ["note"]
    assert bus.commands == []


@pytest.mark.parametrize("bad", ["s@²", "s@٣", "s@99999999999999999999", "s\u0000@1"])
def test_a_consistency_token_no_read_model_can_compare_is_422_not_500(
    client: TestClient, bus: FakeBus, bad: str
) -> None:
    response = client.get(
        BALANCE, params={"account_id": str(new_id()), "consistency": bad}, headers=auth(token())
    )
    assert response.status_code == 422, response.text
    assert fields_of(response.json()) == ["consistency"]
    assert bus.queries == []


def test_the_document_describes_metrics_readiness_and_repeated_commands(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    metrics = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    for status in ("200", "503"):
        schema = ready[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Readiness"}
    repeat = spec["paths"][RECORD_THING]["post"]["responses"]["200"]["content"]
    assert repeat["application/json"]["schema"] == {"$ref": "#/components/schemas/CommandAccepted"}


def test_the_dev_token_document_says_what_the_endpoint_accepts(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["DevTokenRequest"]
    assert [option["required"] for option in schema["anyOf"]] == [["user"], ["sub", "role"]]
    assert "secretary-a" in schema["properties"]["user"]["enum"]
    empty_sub = client.post("/v1/dev/tokens", json={"sub": "", "role": "board"})
    assert empty_sub.status_code == 422
    assert fields_of(empty_sub.json()) == ["sub"]
