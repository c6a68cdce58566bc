"""Commands over HTTP: idempotency, consistency token, problem+json for every failure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import Role
from ishc_contracts import new_id
from ishc_contracts.errors import Problem, Reply

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

DEPOSIT = "/v1/sample/commands/deposit"
THING = "/v1/sample/commands/record-thing"


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()  # JSON: the tests index into it freely
    assert body["type"] == f"https://ishc.vn/problems/{slug}"
    assert body["status"] == status
    return body


def test_a_command_is_sent_with_the_key_the_principal_and_the_club(
    client: TestClient, bus: FakeBus
) -> None:
    key = new_id()
    account = new_id()
    response = client.post(
        DEPOSIT,
        json={"account_id": str(account), "amount": 5000},
        headers=command_headers(token(sub="lan"), key),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["command_id"] == str(key)
    assert body["duplicate"] is False
    assert body["consistency"] == f"thing-{key}@1"
    assert response.headers["ISHC-Consistency"] == body["consistency"]
    ((service, envelope),) = bus.commands
    assert service == "sample"
    assert envelope.command_id == key
    assert envelope.type == "Deposit"
    assert envelope.actor.user_id == "lan" and envelope.actor.role == "club_secretary"
    assert envelope.club_id == CLUB_A  # the secretary's only club, as none was named
    assert envelope.payload == {"account_id": str(account), "amount": 5000}


def test_the_club_in_the_body_goes_in_the_envelope(client: TestClient, bus: FakeBus) -> None:
    response = client.post(
        THING, json={"club_id": str(CLUB_A), "note": "x"}, headers=command_headers(token())
    )
    assert response.status_code == 201
    assert bus.commands[0][1].club_id == CLUB_A


def test_a_repeat_with_the_same_key_returns_the_first_result(
    client: TestClient, bus: FakeBus
) -> None:
    headers = command_headers(token())
    body = {"account_id": str(new_id()), "amount": 1}
    first = client.post(DEPOSIT, json=body, headers=headers)
    again = client.post(DEPOSIT, json=body, headers=headers)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["event_ids"] == first.json()["event_ids"]
    assert bus.appended == 1


@pytest.mark.parametrize(("key", "message"), [(None, "Field required"), ("not-a-uuid", "UUID")])
def test_the_idempotency_key_is_required_and_a_uuid(
    client: TestClient, key: str | None, message: str
) -> None:
    headers = auth(token()) | ({"Idempotency-Key": key} if key else {})
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=headers
    )
    body = problem(response, 422, "validation")
    (issue,) = body["errors"]
    assert issue["field"] == "Idempotency-Key"
    assert message in issue["message"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"account_id": "nope", "amount": 1}, "account_id"),
        ({"account_id": str(new_id()), "amount": -1}, "amount"),
        ({"account_id": str(new_id())}, "amount"),
        ({"account_id": str(new_id()), "amount": 1, "balance": 10**9}, "balance"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(
    client: TestClient, bus: FakeBus, payload: dict[str, object], field: str
) -> None:
    response = client.post(DEPOSIT, json=payload, headers=command_headers(token()))
    body = problem(response, 422, "validation")
    assert field in [issue["field"] for issue in body["errors"]]
    assert bus.commands == []


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        DEPOSIT,
        content=b"{oops",
        headers=command_headers(token()) | {"Content-Type": "application/json"},
    )
    problem(response, 422, "validation")


def test_a_service_problem_passes_through_with_a_stable_type(
    client: TestClient, bus: FakeBus
) -> None:
    bus.command_replies["Deposit"] = lambda env: Reply.failure(
        Problem(
            type="invalid-state",
            title="Not allowed in the current state",
            status=409,
            detail="account is not open",
            errors=[{"field": "payload.account_id", "message": "not open"}],
        )
    )
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=command_headers(token())
    )
    body = problem(response, 409, "invalid-state")
    assert body["errors"] == [{"field": "account_id", "message": "not open"}]


def test_a_service_failure_never_leaks_internals(client: TestClient, bus: FakeBus) -> None:
    bus.command_replies["Deposit"] = lambda env: Reply.failure(
        Problem(type="internal", title="boom", status=500, detail="asyncpg: relation x")
    )
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=command_headers(token())
    )
    body = problem(response, 500, "internal")
    assert "asyncpg" not in response.text
    assert body["detail"]


def test_a_crash_in_the_bus_is_a_503_not_a_500(client: TestClient, bus: FakeBus) -> None:
    def explode(env: object) -> Reply:
        raise RuntimeError("connection reset by peer at 10.0.0.7")

    bus.command_replies["Deposit"] = explode
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=command_headers(token())
    )
    problem(response, 503, "service-unavailable")
    assert "10.0.0.7" not in response.text


def test_a_service_that_does_not_answer_is_503_with_retry_after(
    client: TestClient, bus: FakeBus
) -> None:
    bus.down.add("sample")
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=command_headers(token())
    )
    body = problem(response, 503, "service-unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert body["retry_after"] == 2


def test_a_lost_bus_connection_is_503(client: TestClient, bus: FakeBus) -> None:
    bus.connected = False
    response = client.post(
        DEPOSIT, json={"account_id": str(new_id()), "amount": 1}, headers=command_headers(token())
    )
    problem(response, 503, "service-unavailable")
    assert "Retry-After" in response.headers


def test_a_body_above_the_limit_is_413(client: TestClient, bus: FakeBus) -> None:
    big = b'{"account_id": "' + b"x" * 2_000_000 + b'"}'
    response = client.post(
        DEPOSIT,
        content=big,
        headers=command_headers(token()) | {"Content-Type": "application/json"},
    )
    problem(response, 413, "payload-too-large")
    assert bus.commands == []


def test_a_streamed_body_above_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * 100_000

    response = client.post(
        DEPOSIT,
        content=chunks(),
        headers=command_headers(token()) | {"Content-Type": "application/json"},
    )
    problem(response, 413, "payload-too-large")


def test_problem_titles_follow_accept_language(client: TestClient) -> None:
    response = client.post(
        DEPOSIT,
        json={"account_id": "nope", "amount": 1},
        headers=command_headers(token()) | {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"},
    )
    assert response.json()["title"] == "Yêu cầu không hợp lệ"
    english = client.post(
        DEPOSIT,
        json={"account_id": "nope", "amount": 1},
        headers=command_headers(token()) | {"Accept-Language": "en;q=1, vi;q=0.2"},
    )
    assert english.json()["title"] == "Invalid request"


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    problem(client.get("/v1/nowhere"), 404, "not-found")
    problem(client.get(DEPOSIT, headers=auth(token())), 405, "method-not-allowed")


def test_commands_without_a_club_need_one_named_by_multi_club_users(
    client: TestClient, bus: FakeBus
) -> None:
    other = new_id()
    bearer = token(Role.BOARD, clubs=(CLUB_A, other))
    body = {"account_id": str(new_id()), "amount": 1}
    response = client.post(DEPOSIT, json=body, headers=command_headers(bearer))
    assert problem(response, 422, "validation")["errors"][0]["field"] == "club_id"

    named = client.post(f"{DEPOSIT}?club_id={other}", json=body, headers=command_headers(bearer))
    assert named.status_code == 201
    assert bus.commands[-1][1].club_id == other


def test_two_different_clubs_named_is_422(client: TestClient) -> None:
    response = client.post(
        f"{THING}?club_id={new_id()}",
        json={"club_id": str(CLUB_A), "note": "x"},
        headers=command_headers(token()),
    )
    problem(response, 422, "validation")


def test_the_correlation_id_travels_and_comes_back(client: TestClient, bus: FakeBus) -> None:
    correlation = new_id()
    response = client.post(
        DEPOSIT,
        json={"account_id": str(new_id()), "amount": 1},
        headers=command_headers(token()) | {"X-Correlation-Id": str(correlation)},
    )
    assert response.headers["X-Correlation-Id"] == str(correlation)
    assert bus.commands[0][1].correlation_id == correlation
    fresh = client.post(
        DEPOSIT,
        json={"account_id": str(new_id()), "amount": 1},
        headers=command_headers(token()) | {"X-Correlation-Id": "not-a-uuid"},
    )
    assert fresh.headers["X-Correlation-Id"] == str(bus.commands[1][1].correlation_id)


def test_responses_carry_security_headers(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/v1/nowhere")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_cors_is_an_allow_list(bus: FakeBus) -> None:
    app = create_app(
        dev_settings(cors_origins=("https://app.ishc.vn",)), bus=bus, extra_commands=EXTRA_COMMANDS
    )
    with TestClient(app) as client:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = client.options(DEPOSIT, headers={"Origin": "https://app.ishc.vn", **preflight})
        refused = client.options(DEPOSIT, headers={"Origin": "https://evil.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://app.ishc.vn"
    assert "access-control-allow-origin" not in refused.headers


def test_a_user_over_the_rate_limit_gets_429_with_retry_after(bus: FakeBus) -> None:
    app = create_app(dev_settings(rate_limit_per_minute=3), bus=bus, extra_commands=EXTRA_COMMANDS)
    body = {"account_id": str(new_id()), "amount": 1}
    with TestClient(app) as client:
        statuses = [
            client.post(DEPOSIT, json=body, headers=command_headers(token(sub="busy"))).status_code
            for _ in range(4)
        ]
        limited = client.post(DEPOSIT, json=body, headers=command_headers(token(sub="busy")))
        other = client.post(DEPOSIT, json=body, headers=command_headers(token(sub="calm")))
    assert statuses == [201, 201, 201, 429]
    # A moving window of a minute: the first request leaves it about a minute after it came.
    assert 50 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["type"] == "https://ishc.vn/problems/rate-limited"
    assert limited.json()["retry_after"] == int(limited.headers["Retry-After"])
    assert other.status_code == 201


def test_a_user_with_too_many_requests_in_progress_gets_429_and_a_slot_frees_on_answer(
    bus: FakeBus,
) -> None:
    app = create_app(
        dev_settings(max_concurrent_per_user=2), bus=bus, extra_commands=EXTRA_COMMANDS
    )
    throttle = app.state.gateway.throttle
    body = {"account_id": str(new_id()), "amount": 1}
    with TestClient(app) as client:
        # Two of busy's requests are still being answered (held here as a slow service would).
        assert throttle.enter("busy") and throttle.enter("busy")
        crowded = client.post(DEPOSIT, json=body, headers=command_headers(token(sub="busy")))
        other = client.post(DEPOSIT, json=body, headers=command_headers(token(sub="calm")))
        throttle.leave("busy")
        freed = client.post(DEPOSIT, json=body, headers=command_headers(token(sub="busy")))
        refused = client.post(DEPOSIT, json={}, headers=command_headers(token(sub="busy")))
    assert crowded.status_code == 429, crowded.text
    assert crowded.headers["Retry-After"] == "1"
    assert crowded.json()["type"] == "https://ishc.vn/problems/rate-limited"
    assert (other.status_code, freed.status_code, refused.status_code) == (201, 201, 422)
    # Every answered request, refused ones too, gave its slot back.
    assert (throttle.in_flight("busy"), throttle.in_flight("calm")) == (1, 0)


def test_limits_are_off_unless_configured(bus: FakeBus) -> None:
    app = create_app(dev_settings(), bus=bus, extra_commands=EXTRA_COMMANDS)
    assert not app.state.gateway.throttle.enabled
