"""Access audit at the edge (ADR 0053): every answer showing personal data is recorded before
it leaves, with who, which persons, which fields, when and why; never a value."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.access import MemoryAccessLog, records, shown
from gateway.app import create_app
from gateway.auth import Principal, Role
from ishc_contracts import EventEnvelope, QueryEnvelope
from ishc_contracts.errors import Reply
from ishc_contracts.vietnam import VN_TZ

from ..support import (
    CLUB_A,
    EXTRA_COMMANDS,
    EXTRA_QUERIES,
    FakeBus,
    auth,
    dev_settings,
    token,
)

pytestmark = pytest.mark.unit

PERSON = UUID("0193a000-0000-7000-8000-0000000000a1")
MEMBER = UUID("0193a000-0000-7000-8000-0000000000b1")
OTHER = UUID("0193a000-0000-7000-8000-0000000000a2")
NAME = "Nguyễn Thị Canary"
ROSTER = f"/v1/membership/queries/club-roster?club_id={CLUB_A}"


def roster(envelope: QueryEnvelope) -> Reply:
    return Reply.success(
        {
            "club_id": str(CLUB_A),
            "members": [
                {
                    "member_id": str(MEMBER),
                    "person_id": str(PERSON),
                    "full_name": NAME,
                    "age": 71,
                    "poverty_status": None,
                    "categories": {"older": True, "disability": False},
                },
                {"member_id": None, "person_id": str(OTHER), "full_name": "Trần Văn B"},
            ],
            "stale": False,
        }
    )


def composition(envelope: QueryEnvelope) -> Reply:
    return Reply.success({"club_id": str(CLUB_A), "members": 70, "older": 40, "stale": False})


class Refusing:
    async def record(self, envelopes: Sequence[EventEnvelope]) -> None:
        raise ConnectionError("jetstream down")


@pytest.fixture(scope="module")
def fake_bus() -> FakeBus:
    return FakeBus()


@pytest.fixture(scope="module")
def access_log() -> MemoryAccessLog:
    return MemoryAccessLog()


@pytest.fixture(scope="module")
def app_client(fake_bus: FakeBus, access_log: MemoryAccessLog) -> Iterator[TestClient]:
    app = create_app(
        dev_settings(),
        bus=fake_bus,
        extra_commands=EXTRA_COMMANDS,
        extra_queries=EXTRA_QUERIES,
        access_log=access_log,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client(app_client: TestClient, fake_bus: FakeBus, access_log: MemoryAccessLog) -> TestClient:
    fake_bus.reset()
    fake_bus.query_replies["ClubRoster"] = roster
    fake_bus.query_replies["ClubComposition"] = composition
    access_log.envelopes.clear()
    return app_client


def test_a_roster_read_is_recorded_with_who_whom_what_and_why(
    client: TestClient, access_log: MemoryAccessLog
) -> None:
    bearer = token(Role.CLUB_SECRETARY, sub="secretary-7")
    response = client.get(ROSTER, headers=auth(bearer))
    assert response.status_code == 200, response.text
    (record,) = access_log.events()
    assert record.principal_id == "secretary-7"
    assert record.role == "club_secretary"
    assert record.route == "membership.ClubRoster"
    assert record.purpose == "club_administration"  # the route's default
    assert set(record.subject_ids) == {PERSON, MEMBER, OTHER}
    # Only the fields that held a value: the empty poverty status was not shown.
    assert record.field_names == ("age", "disability", "full_name")
    assert set(record.categories) == {"identity", "disability"}
    (envelope,) = access_log.envelopes
    assert envelope.event_id == record.access_id  # the message id JetStream dedups on
    assert envelope.type == "gateway.AccessRecorded"


def test_the_record_holds_no_value(client: TestClient, access_log: MemoryAccessLog) -> None:
    client.get(ROSTER, headers=auth(token()))
    stored = access_log.envelopes[0].model_dump_json()
    assert NAME not in stored
    assert "Canary" not in stored
    assert '"71"' not in stored and ": 71" not in stored


def test_the_caller_names_the_purpose_from_the_list(
    client: TestClient, access_log: MemoryAccessLog
) -> None:
    headers = {**auth(token()), "ISHC-Purpose": "data_subject_request"}
    assert client.get(ROSTER, headers=headers).status_code == 200
    assert access_log.events()[0].purpose == "data_subject_request"


def test_a_purpose_outside_the_list_is_refused_before_anything_is_read(
    client: TestClient, fake_bus: FakeBus, access_log: MemoryAccessLog
) -> None:
    headers = {**auth(token()), "ISHC-Purpose": "curiosity"}
    response = client.get(ROSTER, headers=headers)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "ISHC-Purpose"
    assert "access_purposes" in problem["errors"][0]["message"]
    assert fake_bus.queries == []
    assert access_log.envelopes == []


def test_a_purpose_header_too_long_to_be_a_code_is_refused_without_echoing_it(
    client: TestClient, fake_bus: FakeBus, access_log: MemoryAccessLog
) -> None:
    headers = {**auth(token()), "ISHC-Purpose": "x" * 5000}
    response = client.get(ROSTER, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ISHC-Purpose"
    assert "x" * 65 not in response.text
    assert fake_bus.queries == []
    assert access_log.envelopes == []


def test_an_answer_without_personal_data_is_not_recorded(
    client: TestClient, access_log: MemoryAccessLog
) -> None:
    path = f"/v1/membership/queries/club-composition?club_id={CLUB_A}"
    assert client.get(path, headers=auth(token())).status_code == 200
    assert access_log.envelopes == []


def test_a_read_that_cannot_be_recorded_is_not_shown(fake_bus: FakeBus) -> None:
    app = create_app(dev_settings(), bus=fake_bus, access_log=Refusing())
    fake_bus.reset()
    fake_bus.query_replies["ClubRoster"] = roster
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(ROSTER, headers=auth(token()))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert NAME not in response.text


def test_many_persons_are_split_over_records() -> None:
    answer: dict[str, Any] = {
        "members": [{"person_id": str(UUID(int=n + 1)), "full_name": "x"} for n in range(1_200)]
    }
    persons, fields = shown(answer)
    assert len(persons) == 1_200
    assert fields == ["full_name"]
    principal = Principal(
        sub="admin", role=Role.NATIONAL_ADMIN, club_ids=frozenset(), province_codes=frozenset()
    )
    made = records(
        principal,
        "membership.ClubRoster",
        "programme_oversight",
        answer,
        None,
        datetime(2026, 3, 1, tzinfo=VN_TZ),
    )
    assert [len(e.data["subject_ids"]) for e in made] == [500, 500, 200]
    assert [e.data["part"] for e in made] == [1, 2, 3]


def test_the_access_audit_of_a_person_is_for_national_admins(
    client: TestClient, fake_bus: FakeBus
) -> None:
    report = {
        "person_id": str(PERSON),
        "subject_ids": [str(PERSON), str(MEMBER)],
        "reads": [
            {
                "access_id": str(OTHER),
                "read_at": "2026-03-01T09:00:00+07:00",
                "principal_id": "secretary-7",
                "role": "club_secretary",
                "route": "membership.ClubRoster",
                "purpose": "club_administration",
                "field_names": ["full_name"],
                "categories": ["identity"],
                "correlation_id": None,
            }
        ],
        "truncated": False,
    }
    fake_bus.query_replies["AccessReport"] = lambda env: Reply.success(report)
    path = f"/v1/ops/subjects/{PERSON}/access?since=2026-01-01"
    for role in (Role.OPERATOR, Role.CLUB_SECRETARY, Role.PROVINCIAL_OFFICER):
        assert client.get(path, headers=auth(token(role))).status_code == 403
    response = client.get(path, headers=auth(token(Role.NATIONAL_ADMIN)))
    assert response.status_code == 200, response.text
    assert response.json()["reads"][0]["principal_id"] == "secretary-7"
    service, envelope = fake_bus.queries[-1]
    assert (service, envelope.type) == ("membership", "AccessReport")
    assert envelope.params == {"person_id": str(PERSON), "since": "2026-01-01", "limit": 1000}
