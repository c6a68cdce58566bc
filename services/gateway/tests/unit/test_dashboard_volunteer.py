"""The volunteer page for a caller whose token names their volunteer record (`volunteer_id`):
their own recipients, visits recorded as theirs; without the claim, the club's and the team."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.dashboard.session import CSRF_HEADER, SESSION_COOKIE
from ishc_contracts import new_id
from ishc_contracts.envelope import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import Reply
from ishc_runtime.consent import ConsentRequired

from ..support import CLUB_A, TEST_SECRET, FakeBus, claims, dev_settings, raw_token

pytestmark = pytest.mark.unit

ME = new_id()
PARTNER = new_id()
STRANGER = new_id()
MY_CASE = new_id()
OTHER_CASE = new_id()


def recipient(case_id: UUID, name: str, team: list[UUID]) -> dict[str, Any]:
    return {
        "case_id": str(case_id),
        "full_name": name,
        "volunteer_ids": [str(v) for v in team],
        "slots": [],
    }


@pytest.fixture
def bus() -> FakeBus:
    fake = FakeBus()
    board = {
        "iso_week": "2026-W49",
        "recipients": [
            recipient(MY_CASE, "Bà Lan", [ME, PARTNER]),
            recipient(OTHER_CASE, "Ông Hùng", [STRANGER]),
        ],
    }
    teams = {str(MY_CASE): [ME, PARTNER], str(OTHER_CASE): [STRANGER]}
    fake.query_replies["WeekBoard"] = lambda _: Reply.success(board)

    def detail(envelope: QueryEnvelope) -> Reply:
        team = teams[envelope.params["case_id"]]
        # The gateway scopes an answer without a club_id parameter by the club it names.
        return Reply.success({"club_id": str(CLUB_A), "volunteer_ids": [str(v) for v in team]})

    fake.query_replies["CaseDetail"] = detail
    return fake


def volunteer(bus: FakeBus, volunteer_id: UUID | None) -> TestClient:
    token = raw_token(
        claims(
            sub="lan-volunteer",
            role="volunteer",
            volunteer_id=str(volunteer_id) if volunteer_id else None,
        ),
        TEST_SECRET,
        "HS256",
    )
    client = TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, token, path="/app")
    return client


@pytest.fixture
def me(bus: FakeBus) -> Iterator[TestClient]:
    with volunteer(bus, ME) as client:
        yield client


@pytest.fixture
def team_member(bus: FakeBus) -> Iterator[TestClient]:
    with volunteer(bus, None) as client:
        yield client


def record_visit(client: TestClient, bus: FakeBus, case_id: UUID) -> list[str]:
    page = client.get("/app/volunteer")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    sent = client.post(
        "/app/volunteer/visit",
        data={"csrf_token": csrf, "case_id": str(case_id), "visited_on": "2026-12-03"},
    )
    assert sent.status_code == 303, sent.text
    return list(bus.commands[-1][1].payload["volunteer_ids"])


def test_a_volunteer_sees_only_the_people_they_visit(me: TestClient) -> None:
    page = me.get("/app/volunteer")

    assert page.status_code == 200, page.text
    assert "Bà Lan" in page.text and "Ông Hùng" not in page.text
    assert f'data-volunteers="{ME}"' in page.text


def test_a_volunteers_visit_is_recorded_as_theirs_not_the_whole_teams(
    me: TestClient, bus: FakeBus
) -> None:
    assert record_visit(me, bus, MY_CASE) == [str(ME)]


def test_a_visit_to_a_case_they_are_not_on_is_recorded_for_its_team(
    me: TestClient, bus: FakeBus
) -> None:
    assert record_visit(me, bus, OTHER_CASE) == [str(STRANGER)]


def test_without_the_claim_the_club_and_the_team_are_shown(
    team_member: TestClient, bus: FakeBus
) -> None:
    page = team_member.get("/app/volunteer")

    assert "Bà Lan" in page.text and "Ông Hùng" in page.text
    assert record_visit(team_member, bus, MY_CASE) == [str(ME), str(PARTNER)]


def test_a_token_whose_volunteer_id_is_not_an_id_signs_no_one_in(bus: FakeBus) -> None:
    token = raw_token(claims(role="volunteer", volunteer_id="lan"), TEST_SECRET, "HS256")

    with TestClient(create_app(dev_settings(), bus=bus), follow_redirects=False) as client:
        answer = client.get(
            "/v1/care/queries/week-board",
            params={"club_id": str(CLUB_A)},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert answer.status_code == 401, answer.text


def no_consent(envelope: CommandEnvelope) -> Reply:
    return Reply.failure(
        ConsentRequired(
            "no consent of person … for 'health_data' on 2026-12-03",
            field="blood_pressure",
            purpose="health_data",
        ).problem()
    )


def test_a_visit_with_vitals_refused_for_want_of_consent_names_the_consent(
    me: TestClient, bus: FakeBus
) -> None:
    bus.command_replies["RecordVisit"] = no_consent
    page = me.get("/app/volunteer").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    # Without script: the form's post.
    refused = me.post(
        "/app/volunteer/visit",
        data={
            "csrf_token": csrf,
            "case_id": str(MY_CASE),
            "visited_on": "2026-12-03",
            "systolic": "140",
            "diastolic": "90",
        },
    )
    assert refused.status_code == 409
    assert "Người này chưa đồng ý" in refused.text and "dùng dữ liệu sức khỏe" in refused.text

    # Offline and synced: the relay says it in the page's language for the script to show.
    synced = me.post(
        "/app/sync",
        headers={CSRF_HEADER: csrf},
        json={
            "commands": [
                {
                    "idempotency_key": str(new_id()),
                    "service": "care",
                    "command": "record-visit",
                    "payload": {
                        "visit_id": str(new_id()),
                        "case_id": str(MY_CASE),
                        "volunteer_ids": [str(ME)],
                        "visited_on": "2026-12-03",
                        "blood_pressure": {"systolic": 140, "diastolic": 90},
                    },
                    "device_time": "2026-12-03T09:00:00+07:00",
                }
            ]
        },
    )
    assert synced.status_code == 200, synced.text
    result = synced.json()["results"][0]
    assert result["status"] == "rejected"
    assert "dùng dữ liệu sức khỏe" in result["problem"]["message"]
    assert result["problem"]["message"].startswith("Người này chưa đồng ý")
