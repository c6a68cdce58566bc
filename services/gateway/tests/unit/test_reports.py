"""Report routes: the role x scope matrix, what is asked of reporting, files, errors.

The fake bus answers reporting's queries with `fake_report` (tests/support.py): one unit,
the one asked for (or "VN"), and none for `unit=empty`, so the tests see what the gateway
sent and did.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import Principal, Role
from gateway.directory import ClubDirectory
from gateway.policy import ReportDenied, ReportScope, in_scope, report_scope
from ishc_contracts import QueryEnvelope
from ishc_contracts.errors import Reply

from ..support import (
    CLUB_A,
    CLUB_B,
    FakeBus,
    auth,
    dev_settings,
    fake_report,
    report_basis,
    token,
)

pytestmark = pytest.mark.unit

JSON, CSV, XLSX = (
    "/v1/reports/indicators",
    "/v1/reports/indicators.csv",
    "/v1/reports/indicators.xlsx",
)
ROUTES = (JSON, CSV, XLSX)
PERIOD = {"period": "2025-05"}


@pytest.fixture(scope="module")
def module_client(module_bus: FakeBus) -> Iterator[TestClient]:
    """The gateway as deployed: no sample commands or queries."""
    with TestClient(create_app(dev_settings(), bus=module_bus), raise_server_exceptions=False) as c:
        yield c


def bearer(
    role: Role, clubs: tuple[UUID, ...] = (CLUB_A,), provinces: tuple[str, ...] = ()
) -> dict[str, str]:
    if role in (Role.NATIONAL_ADMIN, Role.OPERATOR, Role.PROVINCIAL_OFFICER):
        clubs = ()
    return auth(token(role, clubs=clubs, provinces=provinces))


def officer() -> dict[str, str]:
    # Minted per test, not at import: a slow suite outlives a token's ten minutes.
    return bearer(Role.PROVINCIAL_OFFICER, provinces=("79",))


def sent(bus: FakeBus) -> dict[str, Any]:
    service, envelope = bus.queries[-1]
    assert service == "reporting"
    return envelope.params


# role, parameters, expected status (the same on JSON, CSV and XLSX)
MATRIX: list[tuple[Role, dict[str, str], int]] = [
    (Role.NATIONAL_ADMIN, {"level": "nation"}, 200),
    (Role.NATIONAL_ADMIN, {"level": "club", "unit": str(CLUB_B)}, 200),
    (Role.OPERATOR, {"level": "nation"}, 200),
    (Role.OPERATOR, {"level": "club"}, 200),
    (Role.PROVINCIAL_OFFICER, {"level": "province"}, 200),
    (Role.PROVINCIAL_OFFICER, {"level": "club"}, 200),
    (Role.PROVINCIAL_OFFICER, {"level": "province", "province": "79"}, 200),
    (Role.PROVINCIAL_OFFICER, {"level": "province", "province": "01"}, 404),
    (Role.PROVINCIAL_OFFICER, {"level": "nation"}, 403),
    (Role.CLUB_SECRETARY, {"level": "club"}, 200),
    (Role.CLUB_SECRETARY, {"level": "club", "unit": str(CLUB_A)}, 200),
    (Role.CLUB_SECRETARY, {"level": "club", "unit": str(CLUB_B)}, 404),
    (Role.CLUB_SECRETARY, {"level": "club", "unit": "79"}, 404),
    (Role.CLUB_SECRETARY, {"level": "province"}, 403),
    (Role.CLUB_SECRETARY, {"level": "nation"}, 403),
    (Role.BOARD, {"level": "club"}, 200),
    (Role.BOARD, {"level": "club", "unit": str(CLUB_B)}, 404),
    (Role.BOARD, {"level": "commune"}, 403),
    (Role.VOLUNTEER, {"level": "club"}, 403),
    (Role.VOLUNTEER, {"level": "nation"}, 403),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("role", "params", "status"), MATRIX)
def test_report_matrix(
    client: TestClient, bus: FakeBus, route: str, role: Role, params: dict[str, str], status: int
) -> None:
    headers = officer() if role is Role.PROVINCIAL_OFFICER else bearer(role)
    asked = len(bus.queries)
    response = client.get(route, params={**PERIOD, **params}, headers=headers)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert len(bus.queries) == asked  # refused before anything is asked


def test_an_officer_is_answered_for_their_provinces_only_with_cells_suppressed(
    client: TestClient, bus: FakeBus
) -> None:
    two = bearer(Role.PROVINCIAL_OFFICER, provinces=("79", "74"))
    response = client.get(JSON, params={**PERIOD, "level": "province"}, headers=two)
    assert response.status_code == 200
    assert sent(bus)["provinces"] == ["74", "79"]
    assert sent(bus)["suppress_clubs"] is True
    client.get(JSON, params={**PERIOD, "level": "commune", "province": "74"}, headers=two)
    assert sent(bus)["provinces"] == ["74"]


@pytest.mark.parametrize(
    ("role", "level"),
    [
        (Role.PROVINCIAL_OFFICER, "province"),
        (Role.PROVINCIAL_OFFICER, "club"),
        (Role.NATIONAL_ADMIN, "club"),
        (Role.OPERATOR, "nation"),
    ],
)
def test_no_one_outside_the_club_lowers_the_threshold_below_the_floor(
    client: TestClient, bus: FakeBus, role: Role, level: str
) -> None:
    headers = bearer(role, provinces=("79",) if role is Role.PROVINCIAL_OFFICER else ())
    for asked, applied in (("1", 5), ("4", 5), ("5", 5), ("9", 9)):
        response = client.get(
            JSON, params={**PERIOD, "level": level, "threshold": asked}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert (sent(bus)["threshold"], sent(bus)["suppress_clubs"]) == (applied, True)


def test_the_floor_is_a_setting(bus: FakeBus) -> None:
    app = create_app(dev_settings(report_threshold_floor=11), bus=bus)
    with TestClient(app) as client:
        response = client.get(
            JSON, params={**PERIOD, "level": "province", "threshold": "10"}, headers=officer()
        )
    assert response.status_code == 200, response.text
    assert sent(bus)["threshold"] == 11


def test_a_club_reading_itself_keeps_the_threshold_it_asks_for(
    client: TestClient, bus: FakeBus
) -> None:
    response = client.get(
        JSON, params={**PERIOD, "level": "club", "threshold": "1"}, headers=bearer(Role.BOARD)
    )
    assert response.status_code == 200, response.text
    assert (sent(bus)["threshold"], sent(bus)["suppress_clubs"]) == (1, False)


def test_club_roles_get_their_own_club_unsuppressed(client: TestClient, bus: FakeBus) -> None:
    response = client.get(JSON, params={**PERIOD, "level": "club"}, headers=bearer(Role.BOARD))
    assert response.status_code == 200
    assert sent(bus)["unit"] == str(CLUB_A)
    assert sent(bus)["suppress_clubs"] is False
    assert response.json()["data"]["units"][0]["unit"] == str(CLUB_A)


def test_national_roles_are_not_filtered_and_see_small_cells_suppressed(
    client: TestClient, bus: FakeBus
) -> None:
    client.get(JSON, params={**PERIOD, "level": "club"}, headers=bearer(Role.NATIONAL_ADMIN))
    assert sent(bus)["provinces"] is None
    assert sent(bus)["suppress_clubs"] is True
    client.get(JSON, params={**PERIOD, "level": "club"}, headers=bearer(Role.OPERATOR))
    assert sent(bus)["suppress_clubs"] is True
    client.get(
        JSON,
        params={**PERIOD, "province": ["01", "48"], "scheme": "legacy_63"},
        headers=bearer(Role.NATIONAL_ADMIN),
    )
    assert sent(bus)["provinces"] == ["01", "48"]
    assert sent(bus)["scheme"] == "legacy_63"


def test_a_club_user_with_two_clubs_must_name_one(client: TestClient) -> None:
    headers = bearer(Role.CLUB_SECRETARY, clubs=(CLUB_A, CLUB_B))
    response = client.get(JSON, params={**PERIOD, "level": "club"}, headers=headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["unit"]
    named = client.get(
        JSON, params={**PERIOD, "level": "club", "unit": str(CLUB_B)}, headers=headers
    )
    assert named.status_code == 200


@pytest.mark.parametrize("route", ROUTES)
def test_a_unit_with_nothing_in_scope_is_not_found(client: TestClient, route: str) -> None:
    response = client.get(
        route, params={**PERIOD, "level": "province", "unit": "empty"}, headers=officer()
    )
    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2025-13"}, "period"),
        ({"period": "2024-2026"}, "period"),
        ({"period": "2025", "level": "district"}, "level"),
        ({"period": "2025", "scheme": "old"}, "scheme"),
        ({"period": "2025", "threshold": "0"}, "threshold"),
        ({"period": "2025", "unit": "a b"}, "unit"),
        ({}, "period"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get(JSON, params=params, headers=bearer(Role.NATIONAL_ADMIN))
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(JSON, params=PERIOD).status_code == 401


def test_csv_and_xlsx_are_attachments_with_the_service_bytes(
    client: TestClient, bus: FakeBus
) -> None:
    for route, media, fmt in (
        (CSV, "text/csv; charset=utf-8", "csv"),
        (
            XLSX,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    ):
        response = client.get(route, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))
        assert response.status_code == 200
        assert response.headers["content-type"] == media
        assert response.headers["content-disposition"] == (
            f'attachment; filename="ishc-indicators-2025-05.{fmt}"'
        )
        assert json.loads(response.content)[0]["unit"] == "VN"
        assert sent(bus)["format"] == fmt


def test_a_service_refusal_or_absence_is_a_problem(client: TestClient, bus: FakeBus) -> None:
    bus.down.add("reporting")
    response = client.get(JSON, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    bus.down.clear()
    bus.query_replies["Indicators"] = lambda _env: Reply.success({"not": "a report"})
    response = client.get(JSON, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")


def test_openapi_documents_every_report_operation(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, media in (
        (JSON, "application/json"),
        (CSV, "text/csv"),
        (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        operation = spec["paths"][path]["get"]
        assert operation["summary"]
        assert media in operation["responses"]["200"]["content"]
        for status in ("401", "403", "404", "422", "503"):
            assert status in operation["responses"]
        documented = {p["name"]: p for p in operation["parameters"]}
        assert {"period", "level", "scheme", "unit", "province", "threshold"} <= set(documented)
        assert all(p.get("description") for p in documented.values())
    over_time = spec["paths"]["/v1/reports/clubs-over-time"]["get"]
    assert {"401", "403", "404", "422", "503"} <= set(over_time["responses"])
    assert {p["name"] for p in over_time["parameters"] if p.get("description")} == {
        "month",
        "province",
    }


# -- the policy and the directory on both admin maps ----------------------------------


def test_report_scope_is_a_pure_decision() -> None:
    officer = Principal(sub="p", role=Role.PROVINCIAL_OFFICER, province_codes=frozenset({"79"}))
    assert report_scope(officer, "commune", None, ()) == ReportScope(None, ("79",), True)
    assert report_scope(officer, "commune", None, ("01",)) == ReportDenied(
        404, "no such province in your scope"
    )
    volunteer = Principal(sub="v", role=Role.VOLUNTEER, club_ids=frozenset({CLUB_A}))
    assert isinstance(report_scope(volunteer, "club", str(CLUB_A), ()), ReportDenied)
    secretary = Principal(sub="s", role=Role.CLUB_SECRETARY, club_ids=frozenset({CLUB_A}))
    upper = str(CLUB_A).upper()
    assert report_scope(secretary, "club", upper, ()) == ReportScope(str(CLUB_A), None, False)


def established(club: UUID, history: list[dict[str, Any]], admin_unit: str) -> bytes:
    data = {"club_id": str(club), "admin_unit": admin_unit, "admin_unit_history": history}
    return json.dumps({"data": data}).encode()


def test_officers_scope_holds_on_both_admin_maps() -> None:
    """A club founded in legacy Bình Dương (74) sits in Hồ Chí Minh City (79) since 1 Jul
    2025: an officer named by either code has it; another province's officer does not."""
    directory = ClubDirectory()
    directory.apply(
        established(
            CLUB_A,
            [
                {"scheme": "legacy_63", "province_code": "74", "valid_to": "2025-06-30"},
                {"scheme": "2025_34", "province_code": "79", "valid_from": "2025-07-01"},
            ],
            "79:25750",
        )
    )
    directory.apply(established(CLUB_B, [], "01:00004"))  # known on one map only

    def officer(*codes: str) -> Principal:
        return Principal(sub="p", role=Role.PROVINCIAL_OFFICER, province_codes=frozenset(codes))

    assert directory.province_of(CLUB_A) == "79"
    assert directory.provinces_of(CLUB_A) == {"74", "79"}
    assert in_scope(officer("79"), CLUB_A, directory)
    assert in_scope(officer("74"), CLUB_A, directory)
    assert not in_scope(officer("01"), CLUB_A, directory)
    assert not in_scope(officer("74"), CLUB_B, directory)
    assert in_scope(officer("01"), CLUB_B, directory)


class TimedBus(FakeBus):
    """Records how long the gateway lets each query take."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: dict[str, float] = {}

    async def query(self, service: str, envelope: Any, timeout: float) -> Reply:
        self.timeouts[envelope.type] = timeout
        return await super().query(service, envelope, timeout)


@pytest.mark.parametrize("route", ROUTES)
def test_reports_get_the_report_timeout_not_the_request_timeout(route: str) -> None:
    bus = TimedBus()
    settings = dev_settings(request_timeout_seconds=5, report_timeout_seconds=45)
    with TestClient(create_app(settings, bus=bus)) as client:
        answer = client.get(route, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))

    assert answer.status_code == 200, answer.text
    assert set(bus.timeouts.values()) == {45}


def test_the_report_says_what_it_was_computed_from(client: TestClient, bus: FakeBus) -> None:
    incomplete = report_basis(behind=120, parked=2)

    def answered(envelope: QueryEnvelope) -> Reply:
        report = fake_report(envelope).result or {}
        if envelope.type == "ExportIndicators":
            return Reply.success({**report, "complete": False})
        return Reply.success({**report, "basis": incomplete})

    bus.query_replies["Indicators"] = answered
    bus.query_replies["ExportIndicators"] = answered
    data = client.get(JSON, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN)).json()["data"]
    assert data["basis"]["complete"] is False
    care = next(s for s in data["basis"]["sources"] if s["source"] == "care")
    assert (care["state"], care["lag"], care["parked"]) == ("behind", 120, 2)
    for route in (CSV, XLSX):
        download = client.get(route, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))
        assert download.headers["X-ISHC-Report-Complete"] == "false"


def test_a_report_from_a_service_that_does_not_say_has_no_basis(client: TestClient) -> None:
    data = client.get(JSON, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN)).json()["data"]
    assert data["basis"] is None
    download = client.get(CSV, params=PERIOD, headers=bearer(Role.NATIONAL_ADMIN))
    assert "X-ISHC-Report-Complete" not in download.headers


OVER_TIME = "/v1/reports/clubs-over-time"
TWO_MONTHS = {"month": ["2025-04", "2025-05"]}


def test_clubs_over_time_are_scoped_like_the_province_level(
    client: TestClient, bus: FakeBus
) -> None:
    national = client.get(OVER_TIME, params=TWO_MONTHS, headers=bearer(Role.NATIONAL_ADMIN))
    assert national.status_code == 200, national.text
    assert national.json()["data"]["months"] == [
        {"month": "2025-04", "clubs_cumulative": 1},
        {"month": "2025-05", "clubs_cumulative": 2},
    ]
    assert sent(bus) == {"months": ["2025-04", "2025-05"], "provinces": None}

    assert client.get(OVER_TIME, params=TWO_MONTHS, headers=officer()).status_code == 200
    assert sent(bus)["provinces"] == ["79"]
    elsewhere = {**TWO_MONTHS, "province": "01"}
    assert client.get(OVER_TIME, params=elsewhere, headers=officer()).status_code == 404

    asked = len(bus.queries)
    for role in (Role.CLUB_SECRETARY, Role.VOLUNTEER):
        refused = client.get(OVER_TIME, params=TWO_MONTHS, headers=bearer(role))
        assert refused.status_code == 403
    assert len(bus.queries) == asked  # refused before reporting was asked


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"month": "2025-13"},
        {"month": "2025-Q2"},
        {"month": [f"2025-{m:02d}" for m in [1] * 37]},
    ],
    ids=["none", "month 13", "a quarter", "37 months"],
)
def test_clubs_over_time_refuses_bad_months_naming_the_parameter(
    client: TestClient, params: dict[str, Any]
) -> None:
    response = client.get(OVER_TIME, params=params, headers=bearer(Role.NATIONAL_ADMIN))
    assert response.status_code == 422
    assert {e["field"].split(".")[0] for e in response.json()["errors"]} == {"month"}


@pytest.mark.parametrize("route", [*ROUTES, "/v1/reports/clubs-over-time"])
def test_a_consistency_token_on_a_report_is_refused_as_not_applicable(
    client: TestClient, bus: FakeBus, route: str
) -> None:
    asked = len(bus.queries)
    response = client.get(
        route,
        params={**PERIOD, "month": "2025-05", "consistency": "member-1@1"},
        headers=bearer(Role.NATIONAL_ADMIN),
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/token-not-applicable")
    assert [e["field"] for e in problem["errors"]] == ["consistency"]
    assert len(bus.queries) == asked  # refused before asking reporting


def test_a_commune_filter_is_passed_on_within_the_officers_provinces(
    client: TestClient, bus: FakeBus
) -> None:
    hanoi = bearer(Role.PROVINCIAL_OFFICER, provinces=("01",))
    response = client.get(
        JSON, params={**PERIOD, "level": "club", "commune": "01:00004"}, headers=hanoi
    )
    assert response.status_code == 200, response.text
    # The province scope still applies: a commune elsewhere would match no club.
    assert (sent(bus)["provinces"], sent(bus)["communes"]) == (["01"], ["01:00004"])
    client.get(JSON, params={**PERIOD, "level": "club"}, headers=hanoi)
    assert sent(bus)["communes"] is None
    bad = client.get(JSON, params={**PERIOD, "commune": "x; drop"}, headers=hanoi)
    assert bad.status_code == 422
