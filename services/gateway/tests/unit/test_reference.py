"""Reference data as data (issue #19): the lists are served by the gateway, and a command
carrying a code outside them is refused with 422 naming the field and the nearest codes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ishc_contracts import new_id

from ..support import CLUB_A, FakeBus, auth, command_headers, token

pytestmark = pytest.mark.unit

OPEN_CASE = "/v1/advocacy/commands/open-entitlement-case"
DISABILITY = "/v1/membership/commands/record-disability-assessment"


def test_the_lists_are_listed(client: TestClient) -> None:
    answer = client.get("/v1/reference", headers=auth(token()))
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["lists"]) == {
        "schemes",
        "offices",
        "loan_purposes",
        "poverty_standards",
        "disability_levels",
        "authorities",
        "access_purposes",
        "consent_purposes",
        "retention",
    }


def test_a_list_shows_codes_with_dates_and_the_wording_mapped_onto_them(
    client: TestClient,
) -> None:
    answer = client.get("/v1/reference/disability_levels", headers=auth(token()))
    assert answer.status_code == 200, answer.text
    entries = {e["code"]: e for e in answer.json()["entries"]}
    assert list(entries) == ["mild", "severe", "especially_severe"]
    assert entries["mild"]["aliases"] == ["moderate"]
    assert entries["mild"]["valid_from"] == "2011-01-01"


def test_a_list_on_a_day_has_only_the_codes_valid_then(client: TestClient) -> None:
    def offices(on: str) -> set[str]:
        answer = client.get(f"/v1/reference/offices?on={on}", headers=auth(token()))
        assert answer.status_code == 200, answer.text
        return {e["code"] for e in answer.json()["entries"]}

    assert "ubnd-huyen" in offices("2025-06-30")  # districts until the two-tier reform
    assert "ubnd-huyen" not in offices("2025-07-01")


def test_an_unknown_list_is_404_naming_the_lists(client: TestClient) -> None:
    answer = client.get("/v1/reference/colours", headers=auth(token()))
    assert answer.status_code == 404
    assert "schemes" in answer.json()["detail"]


def test_a_misspelt_scheme_is_refused_naming_the_field_and_the_nearest_codes(
    client: TestClient, bus: FakeBus
) -> None:
    answer = client.post(
        OPEN_CASE,
        json={
            "case_id": str(new_id()),
            "person_id": str(new_id()),
            "club_id": str(CLUB_A),
            "scheme": "health_insurance_cardd",
            "opened_on": "2026-03-02",
        },
        headers=command_headers(token()),
    )
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == "scheme"
    assert "nearest valid: health_insurance_card, health_insurance " in error["message"]
    assert bus.commands == []


def test_the_club_s_moderate_wording_is_recorded_as_the_law_s_mild(
    client: TestClient, bus: FakeBus
) -> None:
    answer = client.post(
        DISABILITY,
        json={"person_id": str(new_id()), "level": "moderate", "assessed_on": "2026-03-02"},
        headers=command_headers(token()),
    )
    assert answer.status_code in (200, 201, 202), answer.text
    ((_, sent),) = bus.commands
    assert sent.payload["level"] == "mild"
