"""Queries with consistency tokens, offline sync, health, readiness, metrics, OpenAPI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import Role
from gateway.directory import ClubDirectory, province_from
from gateway.gateway_state import kebab
from gateway.live import notification
from gateway.policy import Policy
from ishc_contracts import new_id
from ishc_contracts.catalogue import SERVICE_COMMANDS
from ishc_contracts.errors import Problem, Reply
from ishc_runtime.clock import FakeClock

from ..support import (
    CLUB_A,
    CLUB_B,
    EXTRA_COMMANDS,
    FakeBus,
    auth,
    command_headers,
    dev_settings,
    token,
)

pytestmark = pytest.mark.unit

BALANCE = "/v1/sample/queries/balance"


def owned_balance(env: Any) -> Reply:
    return Reply.success({"club_id": str(CLUB_A), "balance": 7, "stale": env.min_version == 99})


def test_a_query_passes_params_and_the_consistency_token(client: TestClient, bus: FakeBus) -> None:
    bus.query_replies["Balance"] = owned_balance
    account = new_id()
    response = client.get(
        BALANCE,
        params={"account_id": str(account), "consistency": f"account-{account}@3"},
        headers=auth(token()),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {"club_id": str(CLUB_A), "balance": 7, "stale": False},
        "stale": False,
    }
    assert response.headers["ISHC-Stale"] == "false"
    ((service, envelope),) = bus.queries
    assert service == "sample"
    assert envelope.params == {"account_id": str(account)}
    assert (envelope.stream_id, envelope.min_version) == (f"account-{account}", 3)
    assert envelope.actor.role == "club_secretary"


def test_a_read_that_has_not_caught_up_says_stale(client: TestClient, bus: FakeBus) -> None:
    bus.query_replies["Balance"] = owned_balance
    response = client.get(
        BALANCE, params={"account_id": str(new_id()), "consistency": "s@99"}, headers=auth(token())
    )
    assert response.json()["stale"] is True
    assert response.headers["ISHC-Stale"] == "true"


@pytest.mark.parametrize("bad", ["nope", "@3", "stream@", "stream@x"])
def test_a_malformed_consistency_token_is_422(client: TestClient, bad: str) -> None:
    response = client.get(
        BALANCE, params={"account_id": str(new_id()), "consistency": bad}, headers=auth(token())
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "consistency"


def test_bad_query_params_are_422_naming_them(client: TestClient) -> None:
    response = client.get(BALANCE, params={"account_id": "x", "extra": 1}, headers=auth(token()))
    assert response.status_code == 422
    fields = {issue["field"] for issue in response.json()["errors"]}
    assert "account_id" in fields


def test_a_query_to_a_silent_service_is_503(client: TestClient, bus: FakeBus) -> None:
    bus.down.add("sample")
    response = client.get(BALANCE, params={"account_id": str(new_id())}, headers=auth(token()))
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_queries_need_a_token(client: TestClient) -> None:
    assert client.get(BALANCE, params={"account_id": str(new_id())}).status_code == 401


# -- offline sync ---------------------------------------------------------------------------


def item(key: Any, command: str = "record-thing", **payload: Any) -> dict[str, Any]:
    return {
        "idempotency_key": str(key),
        "service": "sample",
        "command": command,
        "payload": payload or {"club_id": str(CLUB_A), "note": "visit"},
        "device_time": datetime(2026, 11, 20, 9, 30, tzinfo=UTC).isoformat(),
    }


def test_a_batch_reports_each_command_and_replaying_it_changes_nothing(
    client: TestClient, bus: FakeBus
) -> None:
    first, second = new_id(), new_id()
    batch = {
        "commands": [
            item(first),
            item(first),  # the device queued the same action twice
            item(new_id(), club_id=str(CLUB_A), note=""),  # invalid: names the field
            item(new_id(), club_id=str(CLUB_B), note="x"),  # another club: refused
            item(second, "RecordThing"),
            item(new_id(), "teleport"),
        ]
    }
    response = client.post("/v1/sync", json=batch, headers=auth(token()))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "duplicate",
        "rejected",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert results[2]["problem"]["errors"][0]["field"] == "note"
    assert results[3]["problem"]["status"] == 404
    assert results[5]["problem"]["status"] == 404
    assert results[0]["result"]["consistency"] == f"thing-{first}@1"
    sent = [env for _, env in bus.commands]
    assert sent[0].occurred_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert bus.appended == 2

    again = client.post("/v1/sync", json=batch, headers=auth(token())).json()["results"]
    assert [r["status"] for r in again] == [
        "duplicate",
        "duplicate",
        "rejected",
        "rejected",
        "duplicate",
        "rejected",
    ]
    assert bus.appended == 2


def test_a_silent_service_stops_the_batch_in_order(client: TestClient, bus: FakeBus) -> None:
    bus.down.add("sample")
    batch = {"commands": [item(new_id()), item(new_id())]}
    results = client.post("/v1/sync", json=batch, headers=auth(token())).json()["results"]
    assert [r["status"] for r in results] == ["not_attempted", "not_attempted"]
    assert results[0]["problem"]["status"] == 503
    assert len(bus.commands) == 1


def test_a_batch_is_bounded(client: TestClient) -> None:
    batch = {"commands": [item(new_id()) for _ in range(201)]}
    response = client.post("/v1/sync", json=batch, headers=auth(token()))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "commands"


# -- operations -----------------------------------------------------------------------------


def test_health_and_readiness(client: TestClient, bus: FakeBus) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["nats"] == "ok"
    bus.down.add("sample")
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["sample"] == "down"
    bus.connected = False
    assert client.get("/readyz").json()["checks"]["nats"] == "down"


def test_metrics_are_exposed(client: TestClient) -> None:
    client.get("/healthz")
    text = client.get("/metrics").text
    assert 'ishc_gateway_requests_total{method="GET",route="/healthz",status="200"}' in text


def test_openapi_documents_every_contract_command_with_its_schema_and_errors(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    for service, commands in SERVICE_COMMANDS.items():
        for command in commands:
            operation = spec["paths"][f"/v1/{service}/commands/{kebab(command.__name__)}"]["post"]
            assert operation["summary"]
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith(command.__name__)
            assert {"401", "403", "422", "503"} <= set(operation["responses"])
            names = {p["name"] for p in operation["parameters"]}
            assert "Idempotency-Key" in names
    assert "/v1/sync" in spec["paths"]
    assert "/v1/dev/tokens" in spec["paths"]


def test_the_directory_reads_provinces_defensively() -> None:
    assert province_from({"admin_unit": "01:00004"}) == "01"
    assert (
        province_from(
            {
                "admin_unit": "01:00004",
                "admin_unit_history": [
                    {"province_code": "02", "valid_to": "2025-06-30"},
                    {"province_code": "79", "valid_to": None},
                ],
            }
        )
        == "79"
    )
    assert province_from({}) is None
    directory = ClubDirectory()
    club = new_id()
    directory.apply(b'{"data": {"club_id": "' + str(club).encode() + b'", "admin_unit": "48:1"}}')
    directory.apply(b"garbage")
    directory.apply(b'{"data": {"club_id": "not-a-uuid"}}')
    assert directory.province_of(club) == "48"
    assert len(directory) == 1


def test_every_command_documents_an_example_its_model_accepts(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for service, commands in SERVICE_COMMANDS.items():
        for command in commands:
            operation = spec["paths"][f"/v1/{service}/commands/{kebab(command.__name__)}"]["post"]
            example = operation["requestBody"]["content"]["application/json"]["examples"]
            command.model_validate(example["minimal"]["value"])


def test_live_updates_are_scoped_and_need_the_bus(client: TestClient) -> None:
    other = client.get(f"/v1/clubs/{CLUB_B}/events", headers=auth(token()))
    assert other.status_code == 404
    own = client.get(f"/v1/clubs/{CLUB_A}/events", headers=auth(token()))
    assert own.status_code == 503  # the fake bus has no NATS connection to follow
    assert own.headers["Retry-After"]
    assert client.get(f"/v1/clubs/{CLUB_A}/events").status_code == 401


def test_a_services_scope_refusal_on_a_read_is_a_404(client: TestClient, bus: FakeBus) -> None:
    bus.query_replies["Balance"] = lambda env: Reply.failure(
        Problem(type="club-mismatch", title="Another club", status=403, detail="club B")
    )
    response = client.get(BALANCE, params={"account_id": str(new_id())}, headers=auth(token()))
    assert response.status_code == 404
    assert "club B" not in response.text


def test_a_services_unknown_object_is_the_same_404_as_another_clubs(
    client: TestClient, bus: FakeBus
) -> None:
    unknown = new_id()
    bus.query_replies["Balance"] = lambda env: Reply.failure(
        Problem(type="not-found", title="No such thing", status=404, detail=f"no account {unknown}")
    )
    missing = client.get(BALANCE, params={"account_id": str(unknown)}, headers=auth(token()))
    bus.query_replies["Balance"] = lambda env: Reply.failure(
        Problem(type="club-mismatch", title="Another club", status=403, detail="club B")
    )
    elsewhere = client.get(BALANCE, params={"account_id": str(new_id())}, headers=auth(token()))
    assert missing.status_code == elsewhere.status_code == 404
    assert missing.json() == elsewhere.json()
    assert str(unknown) not in missing.text


ENVELOPE = json.dumps(
    {
        "event_id": "0193a000-0000-7000-8000-000000000001",
        "type": "care.DisabilityRecorded",
        "stream_id": "case-0193a000-0000-7000-8000-000000000002",
        "version": 4,
        "recorded_at": "2026-11-20T02:30:00+00:00",
        "metadata": {"club_id": str(CLUB_A)},
        "data": {"level": "severe"},
    }
).encode()


def test_a_live_notice_names_the_event_for_the_club_and_only_the_service_for_aggregate_roles() -> (
    None
):
    full = notification(ENVELOPE, CLUB_A)
    assert full is not None and "event: care.DisabilityRecorded" in full
    assert "case-0193a000-0000-7000-8000-000000000002@4" in full
    coarse = notification(ENVELOPE, CLUB_A, per_event=False)
    assert coarse == 'event: changed\ndata: {"service": "care"}\n\n'
    assert notification(ENVELOPE, CLUB_B, per_event=False) is None


def test_only_roles_that_read_people_get_per_event_notices() -> None:
    policy = Policy()
    readers = {role for role in Role if policy.reads_people(role)}
    assert readers == {Role.CLUB_SECRETARY, Role.BOARD, Role.VOLUNTEER, Role.NATIONAL_ADMIN}


def test_device_times_outside_sanity_are_clamped_and_flagged(bus: FakeBus) -> None:
    now = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    app = create_app(dev_settings(), bus=bus, extra_commands=EXTRA_COMMANDS)
    app.state.gateway.clock = FakeClock(now)
    batch = [
        {**item(new_id()), "device_time": "1970-01-01T07:00:00+07:00"},  # a reset clock
        {**item(new_id()), "device_time": "9999-12-31T23:00:00+07:00"},
        {**item(new_id()), "device_time": (now + timedelta(minutes=4)).isoformat()},
        {**item(new_id()), "device_time": "2026-11-19T09:30:00+07:00"},
    ]
    with TestClient(app) as client:
        response = client.post("/v1/sync", json={"commands": batch}, headers=auth(token()))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 4
    assert [r["device_time_clamped"] for r in results] == [True, True, False, False]
    sent = [env.occurred_at for _, env in bus.commands]
    assert sent == [
        datetime(2006, 1, 1, tzinfo=UTC),
        now,
        now + timedelta(minutes=4),
        datetime(2026, 11, 19, 2, 30, tzinfo=UTC),
    ]


def test_no_request_takes_a_url_to_fetch(client: TestClient) -> None:
    """OWASP API7: the gateway fetches only what its settings name (the JWKS, the identity
    provider's token endpoint); no parameter or body field of any route is a URL."""
    document = client.get("/openapi.json").json()
    text = json.dumps(document)
    assert '"format": "uri"' not in text
    named = {
        param["name"].lower()
        for path in document["paths"].values()
        for operation in path.values()
        for param in operation.get("parameters", [])
    }
    assert not {name for name in named if "url" in name or "uri" in name}


def test_fields_a_caller_may_not_set_are_refused_not_ignored(
    client: TestClient, bus: FakeBus
) -> None:
    """OWASP API3 (mass assignment): a body naming a field its command does not have, such as
    the actor or another club's id smuggled in, is 422 naming it, and nothing is sent."""
    body = {
        "club_id": str(CLUB_A),
        "note": "x",
        "actor": {"user_id": "admin", "role": "national_admin"},
    }
    response = client.post(
        "/v1/sample/commands/record-thing", json=body, headers=command_headers(token())
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["actor"]
    assert bus.commands == []


def test_an_erasure_whose_membership_lookup_fails_erases_nothing_and_says_retry(
    client: TestClient, bus: FakeBus
) -> None:
    bus.query_replies["PersonProfile"] = lambda env: Reply.failure(
        Problem(type="internal", title="Internal error", status=500, detail="boom")
    )
    response = client.post(
        f"/v1/ops/subjects/{new_id()}/erase",
        json={"reason": "request of the person", "legal_basis": "Law 91/2025/QH15 art. 14"},
        headers=auth(token(Role.NATIONAL_ADMIN, clubs=())),
    )
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert bus.commands == []  # no service was asked to erase in part


def test_an_erasure_reason_with_a_nul_is_a_typed_refusal_naming_it(
    client: TestClient, bus: FakeBus
) -> None:
    response = client.post(
        f"/v1/ops/subjects/{new_id()}/erase",
        json={"reason": "request\x00of the person", "legal_basis": "Law 91/2025/QH15 art. 14"},
        headers=auth(token(Role.NATIONAL_ADMIN, clubs=())),
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert bus.queries == [] and bus.commands == []


def test_a_discard_reason_with_a_nul_is_a_typed_refusal_naming_it(
    client: TestClient, bus: FakeBus
) -> None:
    response = client.post(
        "/v1/ops/parked/sample/7/discard",
        json={"reason": "sent by\x00 mistake"},
        headers=auth(token(Role.OPERATOR, clubs=())),
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert bus.commands == []
