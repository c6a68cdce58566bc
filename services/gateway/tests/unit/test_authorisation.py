"""Role AND scope: the policy table, and the matrix role x command/query x own/other club."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from gateway.app import contract_queries, create_app
from gateway.auth import Principal, Role
from gateway.directory import ClubDirectory
from gateway.policy import FIELD_WORK, Policy, in_scope
from ishc_contracts import new_id
from ishc_contracts.catalogue import SERVICE_COMMANDS
from ishc_contracts.errors import Reply

from ..support import (
    CLUB_A,
    CLUB_B,
    EXTRA_COMMANDS,
    EXTRA_QUERIES,
    FakeBus,
    auth,
    command_headers,
    dev_settings,
    token,
)

pytestmark = pytest.mark.unit

THING = "/v1/sample/commands/record-thing"
OWN, OTHER = CLUB_A, CLUB_B
PROVINCE = "01"


def bearer(role: Role) -> str:
    if role is Role.PROVINCIAL_OFFICER:
        return token(role, clubs=(), provinces=(PROVINCE,))
    if role in (Role.NATIONAL_ADMIN, Role.OPERATOR):
        return token(role, clubs=())
    return token(role, clubs=(OWN,))


def make_client(bus: FakeBus, policy: Policy | None = None) -> TestClient:
    app = create_app(
        dev_settings(),
        bus=bus,
        extra_commands=EXTRA_COMMANDS,
        extra_queries=EXTRA_QUERIES,
        policy=policy
        or Policy(query_kinds={"sample.ClubReport": "aggregate", "sample.ClubList": "club"}),
    )
    app.state.gateway.directory.record(OWN, PROVINCE)
    app.state.gateway.directory.record(OTHER, "79")
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def module_matrix_client(module_bus: FakeBus) -> Iterator[TestClient]:
    with make_client(module_bus) as client:
        yield client


@pytest.fixture
def matrix_client(module_matrix_client: TestClient, bus: FakeBus) -> TestClient:
    return module_matrix_client


# Default policy for a command not in the table: club management and national admins.
COMMAND_MATRIX = [
    (Role.CLUB_SECRETARY, OWN, 201),
    (Role.CLUB_SECRETARY, OTHER, 404),
    (Role.BOARD, OWN, 201),
    (Role.BOARD, OTHER, 404),
    (Role.VOLUNTEER, OWN, 403),
    (Role.VOLUNTEER, OTHER, 403),
    (Role.PROVINCIAL_OFFICER, OWN, 403),
    (Role.PROVINCIAL_OFFICER, OTHER, 403),
    (Role.NATIONAL_ADMIN, OWN, 201),
    (Role.NATIONAL_ADMIN, OTHER, 201),
    (Role.OPERATOR, OWN, 403),
    (Role.OPERATOR, OTHER, 403),
]


@pytest.mark.parametrize(("role", "club", "status"), COMMAND_MATRIX)
def test_command_matrix(
    matrix_client: TestClient, bus: FakeBus, role: Role, club: UUID, status: int
) -> None:
    response = matrix_client.post(
        THING, json={"club_id": str(club), "note": "n"}, headers=command_headers(bearer(role))
    )
    assert response.status_code == status, response.text
    if status in (403, 404):
        # The role may not send it (403), or the club is outside the caller's scope: to them
        # it does not exist (404, the answer for an unknown object).
        kind = "forbidden" if status == 403 else "not-found"
        assert response.json()["type"] == f"https://ishc.vn/problems/{kind}"
        assert bus.commands == []
    else:
        ((_, envelope),) = bus.commands
        assert envelope.actor.role == role.value


@pytest.mark.parametrize(
    ("role", "club", "status"),
    [(Role.VOLUNTEER, OWN, 201), (Role.VOLUNTEER, OTHER, 404), (Role.OPERATOR, OWN, 403)],
)
def test_field_work_commands_are_open_to_volunteers_of_their_club(
    bus: FakeBus, role: Role, club: UUID, status: int
) -> None:
    policy = Policy(command_roles={"sample.RecordThing": FIELD_WORK})
    with make_client(bus, policy) as client:
        response = client.post(
            THING, json={"club_id": str(club), "note": "n"}, headers=command_headers(bearer(role))
        )
    assert response.status_code == status


REPORT = "/v1/sample/queries/club-report"  # aggregate
LIST = "/v1/sample/queries/club-list"  # personal data of a club
QUERY_MATRIX = [
    # role, path, club, status
    (Role.CLUB_SECRETARY, LIST, OWN, 200),
    (Role.CLUB_SECRETARY, LIST, OTHER, 404),
    (Role.BOARD, REPORT, OWN, 200),
    (Role.BOARD, REPORT, OTHER, 404),
    (Role.VOLUNTEER, REPORT, OWN, 200),
    (Role.VOLUNTEER, LIST, OWN, 403),
    (Role.PROVINCIAL_OFFICER, REPORT, OWN, 200),
    (Role.PROVINCIAL_OFFICER, REPORT, OTHER, 404),
    (Role.PROVINCIAL_OFFICER, LIST, OWN, 403),
    (Role.NATIONAL_ADMIN, LIST, OTHER, 200),
    (Role.OPERATOR, REPORT, OTHER, 200),
    (Role.OPERATOR, LIST, OWN, 403),
]


@pytest.mark.parametrize(("role", "path", "club", "status"), QUERY_MATRIX)
def test_query_matrix(
    matrix_client: TestClient, bus: FakeBus, role: Role, path: str, club: UUID, status: int
) -> None:
    response = matrix_client.get(f"{path}?club_id={club}", headers=auth(bearer(role)))
    assert response.status_code == status, response.text
    if status != 200:
        assert bus.queries == []  # refused before anything was asked


@pytest.mark.parametrize(
    ("role", "owner", "status"),
    [
        (Role.CLUB_SECRETARY, OWN, 200),
        (Role.CLUB_SECRETARY, OTHER, 404),
        (Role.CLUB_SECRETARY, None, 404),
        (Role.NATIONAL_ADMIN, OTHER, 200),
    ],
)
def test_object_reads_check_the_objects_club_and_hide_what_is_out_of_scope(
    matrix_client: TestClient, bus: FakeBus, role: Role, owner: UUID | None, status: int
) -> None:
    result = {"owner": "Lan", "balance": 1, "stale": False}
    if owner is not None:
        result["club_id"] = str(owner)
    bus.query_replies["Balance"] = lambda env: Reply.success(result)
    response = matrix_client.get(
        f"/v1/sample/queries/balance?account_id={new_id()}", headers=auth(bearer(role))
    )
    assert response.status_code == status, response.text
    if status == 404:
        assert "Lan" not in response.text
        assert response.json()["type"] == "https://ishc.vn/problems/not-found"


def test_the_policy_table_names_only_real_commands_and_queries() -> None:
    commands = {f"{s}.{c.__name__}" for s, cs in SERVICE_COMMANDS.items() for c in cs}
    queries = {f"{s}.{q.__name__}" for s, qs in contract_queries().items() for q in qs}
    policy = Policy()
    assert set(policy.command_roles) <= commands
    assert set(policy.query_kinds) <= queries
    assert policy.volunteer_reads <= queries


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.OPERATOR])
def test_read_only_roles_send_no_contract_command(role: Role) -> None:
    policy = Policy()
    for service, commands in SERVICE_COMMANDS.items():
        for command in commands:
            assert not policy.may_send(role, service, command.__name__)


def test_volunteers_do_field_work_but_no_finance_admin() -> None:
    policy = Policy()
    assert policy.may_send(Role.VOLUNTEER, "care", "RecordVisit")
    assert policy.may_send(Role.VOLUNTEER, "finance", "PostRepayment")
    for admin in ("ApproveLoan", "DisburseLoan", "WriteOffLoan", "CapitaliseFund"):
        assert not policy.may_send(Role.VOLUNTEER, "finance", admin)


def test_operators_read_no_personal_data() -> None:
    policy = Policy()
    for service, queries in contract_queries().items():
        for query in queries:
            allowed = policy.may_read(Role.OPERATOR, service, query.__name__)
            assert allowed == (policy.query_kind(service, query.__name__) == "aggregate")


def test_scope_rules() -> None:
    directory = ClubDirectory()
    directory.record(OWN, "01")
    secretary = Principal(sub="s", role=Role.CLUB_SECRETARY, club_ids=frozenset({OWN}))
    officer = Principal(sub="p", role=Role.PROVINCIAL_OFFICER, province_codes=frozenset({"01"}))
    admin = Principal(sub="a", role=Role.NATIONAL_ADMIN)
    assert in_scope(secretary, OWN, directory)
    assert not in_scope(secretary, OTHER, directory)
    assert not in_scope(secretary, None, directory)
    assert in_scope(officer, OWN, directory)
    assert not in_scope(officer, OTHER, directory)  # unknown club: not in any province
    assert in_scope(admin, OTHER, directory)
    assert in_scope(admin, None, directory)
