"""`/v1/ops/projections` and `/v1/ops/parked`: who may see them, what they gather."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from gateway.auth import Role
from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import Problem, Reply
from ishc_contracts.operations import (
    LagHistoryAnswer,
    LagSample,
    ParkedEvent,
    ParkedEventsAnswer,
    ParkedResolved,
    ProjectionSourceStatus,
    ProjectionStatusAnswer,
)

from ..support import FakeBus, auth, token

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
ROUTES = ("/v1/ops/projections", "/v1/ops/parked")


def status_of(envelope: QueryEnvelope, service: str = "sample") -> Reply:
    row = ProjectionSourceStatus(
        projection=f"{service}_balances",
        kind="projection",
        source=service,
        stream=service.upper(),
        policy="stop",
        checkpoint=40,
        stream_last_seq=42,
        lag=2,
        parked=1,
        blocking=0,
        state="behind",
        updated_at=NOW,
        unaccounted=3,
    )
    answer = ProjectionStatusAnswer(service=service, projections=[row])
    return Reply.success(answer.model_dump(mode="json"))


def parked_of(envelope: QueryEnvelope) -> Reply:
    row = ParkedEvent(
        id=7,
        projection="sample_balances",
        source="sample",
        stream="SAMPLE",
        stream_seq=13,
        event_type="sample.Deposited",
        event_id="0193a000-0000-7000-8000-000000000013",
        reason="handler_failed",
        disposition="parked",
        attempts=5,
        parked_at=NOW,
        resolved_at=None,
        resolution=None,
    )
    answer = ParkedEventsAnswer(service="sample", parked=[row], truncated=False)
    return Reply.success(answer.model_dump(mode="json"))


@pytest.fixture
def answering(bus: FakeBus) -> FakeBus:
    bus.query_replies["ProjectionStatus"] = status_of
    bus.query_replies["ParkedEvents"] = parked_of
    bus.down.add("reporting")
    return bus


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OPERATOR, True),
        (Role.NATIONAL_ADMIN, True),
        (Role.CLUB_SECRETARY, False),
        (Role.BOARD, False),
        (Role.VOLUNTEER, False),
        (Role.PROVINCIAL_OFFICER, False),
    ],
)
def test_only_operators_and_national_admins_see_operations(
    client: TestClient, answering: FakeBus, route: str, role: Role, allowed: bool
) -> None:
    response = client.get(route, headers=auth(token(role, clubs=(), provinces=("01",))))
    if allowed:
        assert response.status_code == 200, response.text
        assert answering.queries, "the services were asked"
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/forbidden")
        assert answering.queries == [], "a refused caller reaches no service"


@pytest.mark.parametrize("route", ROUTES)
def test_operations_need_a_token(client: TestClient, route: str) -> None:
    assert client.get(route).status_code == 401


def test_projection_status_of_every_service_with_the_unavailable_ones_marked(
    client: TestClient, answering: FakeBus
) -> None:
    response = client.get("/v1/ops/projections", headers=auth(token(Role.OPERATOR, clubs=())))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["service"] for s in body["services"]] == ["sample", "reporting"]
    sample, reporting = body["services"]
    assert sample["available"] is True
    assert sample["projections"] == [
        {
            "projection": "sample_balances",
            "kind": "projection",
            "source": "sample",
            "stream": "SAMPLE",
            "policy": "stop",
            "checkpoint": 40,
            "stream_last_seq": 42,
            "lag": 2,
            "parked": 1,
            "blocking": 0,
            "state": "behind",
            "updated_at": "2026-03-01T02:00:00Z",
            "unaccounted": 3,
        }
    ]
    assert reporting["available"] is False
    assert "no responders" in reporting["problem"]
    assert reporting["projections"] == []
    assert {(s, e.type, e.actor.role) for s, e in answering.queries} == {
        ("sample", "ProjectionStatus", "operator"),
        ("reporting", "ProjectionStatus", "operator"),
    }


def test_one_service_and_one_projection(client: TestClient, answering: FakeBus) -> None:
    response = client.get(
        "/v1/ops/projections",
        params={"service": "sample", "projection": "sample_balances"},
        headers=auth(token(Role.NATIONAL_ADMIN, clubs=())),
    )
    assert response.status_code == 200, response.text
    assert [s["service"] for s in response.json()["services"]] == ["sample"]
    [(service, envelope)] = answering.queries
    assert (service, envelope.params) == ("sample", {"projection": "sample_balances"})


def test_parked_events_carry_no_payload(client: TestClient, answering: FakeBus) -> None:
    response = client.get(
        "/v1/ops/parked",
        params={"service": "sample", "projection": "sample_balances", "limit": 50},
        headers=auth(token(Role.OPERATOR, clubs=())),
    )
    assert response.status_code == 200, response.text
    [sample] = response.json()["services"]
    [parked] = sample["parked"]
    assert (parked["stream"], parked["stream_seq"], parked["reason"]) == (
        "SAMPLE",
        13,
        "handler_failed",
    )
    assert "payload" not in parked and "detail" not in parked
    [(_, envelope)] = answering.queries
    assert envelope.params == {
        "projection": "sample_balances",
        "include_resolved": False,
        "limit": 50,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service": "nosuch"}, "service"),
        ({"service": "Bad Name!"}, "service"),
        ({"projection": "x; drop"}, "projection"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters_are_named(
    client: TestClient, answering: FakeBus, params: dict[str, object], field: str
) -> None:
    response = client.get(
        "/v1/ops/parked", params=params, headers=auth(token(Role.OPERATOR, clubs=()))
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert answering.queries == []


def test_a_service_refusing_the_question_is_a_problem_not_a_crash(
    client: TestClient, bus: FakeBus
) -> None:
    def refuse(envelope: QueryEnvelope) -> Reply:
        problem = Problem(type="validation", title="Invalid", status=422, detail="bad limit")
        return Reply.failure(problem)

    bus.query_replies["ParkedEvents"] = refuse
    response = client.get(
        "/v1/ops/parked", params={"service": "sample"}, headers=auth(token(Role.OPERATOR))
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "bad limit"


def test_a_garbled_answer_marks_the_service_unavailable(client: TestClient, bus: FakeBus) -> None:
    bus.query_replies["ProjectionStatus"] = lambda envelope: Reply.success({"nonsense": 1})
    response = client.get(
        "/v1/ops/projections", params={"service": "sample"}, headers=auth(token(Role.OPERATOR))
    )
    assert response.status_code == 200, response.text
    [sample] = response.json()["services"]
    assert sample["available"] is False
    assert "expected shape" in sample["problem"]


def test_the_routes_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for route, answer in (
        ("/v1/ops/projections", "ProjectionsOverview"),
        ("/v1/ops/parked", "ParkedOverview"),
    ):
        operation = spec["paths"][route]["get"]
        assert operation["summary"]
        assert set(operation["responses"]) >= {"200", "401", "403", "422"}
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{answer}"}
    states = spec["components"]["schemas"]["ProjectionSourceStatus"]["properties"]["state"]
    assert set(states["enum"]) == {"caught up", "behind", "stopped", "rebuilding", "no stream"}


def resolved_by_service(envelope: CommandEnvelope) -> Reply:
    answer = ParkedResolved(
        service="sample",
        id=envelope.payload["parked_id"],
        projection="sample_balances",
        resolution="discarded" if envelope.type == "DiscardParked" else "redriven",
        resolved_by=envelope.actor.user_id,
        note=envelope.payload.get("reason"),
    )
    return Reply.success(answer.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("action", "body", "command"),
    [
        ("redrive", None, "RedriveParked"),
        ("discard", {"reason": "pilot test data"}, "DiscardParked"),
    ],
)
def test_an_operator_redrives_or_discards_one_parked_event_through_its_service(
    client: TestClient, bus: FakeBus, action: str, body: dict[str, str] | None, command: str
) -> None:
    bus.command_replies["RedriveParked"] = resolved_by_service
    bus.command_replies["DiscardParked"] = resolved_by_service
    response = client.post(
        f"/v1/ops/parked/sample/7/{action}",
        json=body,
        headers=auth(token(Role.OPERATOR, clubs=(), sub="op-lan")),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["id"], answer["resolved_by"]) == (7, "op-lan")
    [(service, envelope)] = bus.commands
    assert (service, envelope.type, envelope.actor.role) == ("sample", command, "operator")
    assert envelope.payload == {"parked_id": 7, **(body or {})}


@pytest.mark.parametrize("role", [Role.CLUB_SECRETARY, Role.PROVINCIAL_OFFICER, Role.BOARD])
def test_only_operators_redrive_or_discard(client: TestClient, bus: FakeBus, role: Role) -> None:
    for action, body in (("redrive", None), ("discard", {"reason": "not mine"})):
        response = client.post(
            f"/v1/ops/parked/sample/7/{action}",
            json=body,
            headers=auth(token(role, provinces=("01",))),
        )
        assert response.status_code == 403, response.text
    assert bus.commands == [], "a refused caller reaches no service"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/ops/parked/sample/7/discard", {"reason": ""}, "reason"),
        ("/v1/ops/parked/sample/7/discard", {}, "reason"),
        ("/v1/ops/parked/nosuch/7/redrive", None, "service"),
        ("/v1/ops/parked/sample/0/redrive", None, "parked_id"),
    ],
)
def test_a_discard_needs_a_reason_and_a_known_service(
    client: TestClient, bus: FakeBus, path: str, body: dict[str, str] | None, field: str
) -> None:
    response = client.post(path, json=body, headers=auth(token(Role.OPERATOR, clubs=())))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert bus.commands == []


def test_the_services_refusals_pass_on_typed_and_led_elsewhere_is_asked_again(
    client: TestClient, bus: FakeBus
) -> None:
    answers = iter(
        [
            Problem(type="projection-led-elsewhere", title="x", status=409, detail="led"),
            Problem(type="projection-led-elsewhere", title="x", status=409, detail="led"),
            Problem(type="redrive-failed", title="x", status=409, detail="RuntimeError: 13"),
        ]
    )
    bus.command_replies["RedriveParked"] = lambda envelope: Reply.failure(next(answers))
    response = client.post(
        "/v1/ops/parked/sample/7/redrive",
        headers={**auth(token(Role.OPERATOR, clubs=())), "Accept-Language": "vi"},
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/redrive-failed")
    assert problem["title"] == "Sự kiện bị tạm giữ lại lỗi khi gửi lại"
    # Each try is the same command: a repeat after an unknown outcome does nothing more.
    assert len({envelope.command_id for _, envelope in bus.commands}) == 1
    assert len(bus.commands) == 3

    bus.command_replies["DiscardParked"] = lambda envelope: Reply.failure(
        Problem(type="parked-not-found", title="x", status=404, detail="no parked event 7")
    )
    missing = client.post(
        "/v1/ops/parked/sample/7/discard",
        json={"reason": "gone"},
        headers=auth(token(Role.OPERATOR, clubs=())),
    )
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"].endswith("/parked-not-found")


def lag_of(envelope: QueryEnvelope) -> Reply:
    samples = [
        LagSample(projection="sample_balances", source="sample", at=NOW, lag=4),
        LagSample(
            projection="sample_balances", source="sample", at=NOW + timedelta(minutes=1), lag=0
        ),
    ]
    answer = LagHistoryAnswer(service="sample", minutes=envelope.params["minutes"], samples=samples)
    return Reply.success(answer.model_dump(mode="json"))


def test_lag_over_time_comes_from_each_service(client: TestClient, bus: FakeBus) -> None:
    bus.query_replies["LagHistory"] = lag_of
    bus.down.add("reporting")
    response = client.get(
        "/v1/ops/lag", params={"minutes": 30}, headers=auth(token(Role.OPERATOR, clubs=()))
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["minutes"] == 30
    sample, reporting = body["services"]
    assert [s["lag"] for s in sample["samples"]] == [4, 0]
    assert reporting["available"] is False
    assert {(s, e.type, e.params["minutes"]) for s, e in bus.queries} == {
        ("sample", "LagHistory", 30),
        ("reporting", "LagHistory", 30),
    }
    assert client.get("/v1/ops/lag", headers=auth(token(Role.BOARD))).status_code == 403
    too_far = client.get(
        "/v1/ops/lag", params={"minutes": 2}, headers=auth(token(Role.OPERATOR, clubs=()))
    )
    assert too_far.status_code == 422
