"""The authorisation matrix (issue #18): every command and every query, as club B's secretary,
against club A's objects, in every way an id can be passed.

Generated, not listed: the commands and queries come from the gateway's OpenAPI document,
checked against the contracts' registry, and each command's ownership declaration
(`ishc_contracts.catalogue.OWNERSHIP`) says which of its fields hold object ids. Club A's
objects are made as a national admin by the builders of the extreme-value test (a valid body
for each command, with whatever it needs). Then club B's secretary sends that body

- naming club A (the body's `club_id`, or `?club_id=` when it has none),
- in her own club (the body's `club_id` made B's, or none) with A's ids, where the body
  holds an existing object of A (a create with only new ids is a legitimate command of B's),
- in a `/v1/sync` batch, both ways,

and reads every query with A's club or A's object. Each is refused with one uniform answer
(the 404 an unknown id gets, naming nothing), or 403 where her role may not send or read that
at all; and no event store gained an event of hers. A command without an ownership
declaration, or without a builder, fails the test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from gateway.auth import Role
from gateway.gateway_state import kebab
from gateway.policy import Policy
from ishc_contracts.bounds import MAX_AMOUNT
from ishc_contracts.catalogue import OWNERSHIP, SERVICE_COMMANDS
from ishc_contracts.ownership import Check
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .conftest import running_system
from .harness import System
from .test_extreme_values import (
    BUILDERS,
    EARLIEST,
    TODAY,
    World,
    admit,
    applied_loan,
    decision,
    establish,
    ids,
    meeting,
    referred_case,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MEMBERS = 6
PROPAGATION = 60.0
B_SECRETARY = "secretary-of-club-b"
POLICY = Policy()
UNIFORM = {
    "type": "https://ishc.vn/problems/not-found",
    "status": 404,
    "detail": "no such thing in your scope",
}
FORBIDDEN = "https://ishc.vn/problems/forbidden"


@dataclass
class Clubs:
    system: System
    a: World
    b: str
    b_secretary: str
    openapi: dict[str, Any]
    wrong: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def matrix_system(infrastructure: Infrastructure) -> AsyncIterator[System]:
    async with running_system(infrastructure, prefix="matrix") as system:
        yield system


async def _known(system: System, service: str, sql: str, count: int) -> None:
    pool = system.services[service].context.pool

    async def enough() -> bool:
        return int(await pool.fetchval(sql)) >= count

    await wait_until(enough, timeout=PROPAGATION, interval=0.2, message=f"{service}: {sql}")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clubs(matrix_system: System) -> Clubs:
    system = matrix_system
    admin = await system.token(user="admin")
    a = World(system, admin, "", [], [], "", "", "")
    a.club = await establish(a)
    a.members = [await admit(a, a.club) for _ in range(MEMBERS)]
    for m in a.members[:2]:
        volunteer = ids()
        await a.ok(
            "membership",
            "register-volunteer",
            {
                "volunteer_id": volunteer,
                "club_id": a.club,
                "person_id": m.person_id,
                "member_id": m.member_id,
                "full_name": m.full_name,
                "registered_on": EARLIEST.isoformat(),
            },
        )
        a.volunteers.append(volunteer)
    held = await meeting(a)
    a.approval = await decision(a, held, "loan_approval", MAX_AMOUNT)
    a.write_off = await decision(a, held, "loan_write_off", MAX_AMOUNT)
    a.aid = await decision(a, held, "mutual_aid_grant", MAX_AMOUNT)
    await a.ok(
        "finance",
        "define-loan-product",
        {
            "club_id": a.club,
            "effective_from": EARLIEST.isoformat(),
            "purposes": ["livestock"],
            "min_principal": 1,
            "max_principal": MAX_AMOUNT,
            "term_months": 12,
            "interest_method": "flat",
            "monthly_interest_bp": 50,
            "max_active_loans_per_member": 10,
        },
    )
    for fund_type in ("income_generation", "mutual_aid"):
        await a.ok(
            "finance",
            "capitalise-fund",
            {
                "club_id": a.club,
                "fund_type": fund_type,
                "amount": 2_000_000_000,
                "source": "project",
                "received_on": EARLIEST.isoformat(),
            },
        )
    # Every service knows A's people before B tries them: a refusal must be the check's.
    for service in ("finance", "care", "advocacy"):
        await _known(
            system,
            service,
            f"SELECT count(*) FROM {service}_ownership WHERE kind = 'member'",
            MEMBERS,
        )
    await _known(system, "finance", "SELECT count(*) FROM finance_decisions", 3)
    await _known(system, "advocacy", "SELECT count(*) FROM advocacy_people", MEMBERS)
    b = await establish(a)
    secretary = await system.token(sub=B_SECRETARY, role="club_secretary", club_ids=[b])
    openapi = (await system.http.get("/openapi.json")).json()
    return Clubs(system, a, b, secretary, openapi)


# -- generated from the OpenAPI document and the contracts ---------------------------------


def openapi_commands(openapi: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """path -> (service, command type), from the operation ids `<service>_<Command>`."""
    found = {}
    for path, operations in openapi["paths"].items():
        if "/commands/" in path and "post" in operations:
            service, name = operations["post"]["operationId"].split("_", 1)
            found[path] = (service, name)
    return found


def openapi_queries(openapi: dict[str, Any]) -> dict[str, tuple[str, str, list[dict[str, Any]]]]:
    found = {}
    for path, operations in openapi["paths"].items():
        if "/queries/" in path and "get" in operations:
            operation = operations["get"]
            service, name = operation["operationId"].split("_", 1)
            found[path] = (service, name, operation.get("parameters", []))
    return found


def test_every_command_in_the_api_is_a_contract_command_with_an_ownership_rule() -> None:
    """Without a running system: the registry, the declarations and the builders agree."""
    contract = {(s, m.__name__) for s, models in SERVICE_COMMANDS.items() for m in models}
    undeclared = sorted(f"{s}.{n}" for s, n in contract if (s, n) not in OWNERSHIP)
    unbuilt = sorted(f"{s}.{n}" for s, n in contract if (s, n) not in BUILDERS)
    assert undeclared == [], f"commands without an ownership rule: {undeclared}"
    assert unbuilt == [], f"commands without a builder: {unbuilt}"


# -- the matrix ----------------------------------------------------------------------------


def problem_of(response: httpx.Response) -> dict[str, Any]:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return {"status": response.status_code, "body": response.text[:300]}
    body: dict[str, Any] = response.json()
    return body


def refused_rightly(problem: dict[str, Any], forbidden_role: bool, fields: set[str]) -> bool:
    """403 where the role may not do it at all; else the uniform 404, naming at most the
    field the caller put the id in."""
    if forbidden_role:
        return problem.get("type") == FORBIDDEN and problem.get("status") == 403
    named = [error.get("field") for error in problem.get("errors", [])]
    return {k: problem.get(k) for k in UNIFORM} == UNIFORM and set(named) <= fields


def id_fields(service: str, name: str) -> set[str]:
    return {"club_id"} | {path.replace("[]", "") for path in OWNERSHIP[(service, name)].fields}


def with_unknown_ids(service: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with every id that must exist (`streams`, `refs`) replaced by a new one."""
    unknown = copy.deepcopy(body)
    for path, ref in OWNERSHIP[(service, name)].fields.items():
        if ref.check in (Check.STREAMS, Check.REFS):
            _replace(unknown, path.split("."))
    return unknown


def _replace(node: dict[str, Any], parts: list[str]) -> None:
    head = parts[0]
    many, key = head.endswith("[]"), head.removesuffix("[]")
    if node.get(key) is None:
        return
    if len(parts) == 1:
        node[key] = [ids() for _ in node[key]] if many else ids()
        return
    for item in node[key] if many else [node[key]]:
        _replace(item, parts[1:])


async def holds_an_object_of_a(clubs: Clubs, service: str, name: str, body: dict[str, Any]) -> bool:
    """Whether the body names an object that exists (in club A): the second way applies."""
    owned = OWNERSHIP[(service, name)]
    payload = owned.command.model_validate(body)
    pool = clubs.system.services[service].context.pool
    for _path, ref, value in owned.values(payload):
        if ref.check in (Check.STREAMS, Check.REFS):
            return True
        if ref.check is Check.REFS_OR_NEW and await pool.fetchval(
            f"SELECT count(*) FROM {service}_ownership WHERE kind = $1 AND object_id = $2",
            ref.kind,
            value,
        ):
            return True
    return False


async def test_club_b_reaches_nothing_of_club_a_whatever_it_sends(clubs: Clubs) -> None:
    http = clubs.system.http
    headers = {"Authorization": f"Bearer {clubs.b_secretary}"}
    commands = openapi_commands(clubs.openapi)
    contract = {(s, m.__name__) for s, models in SERVICE_COMMANDS.items() for m in models}
    assert set(commands.values()) == contract, "the API and the contracts list other commands"

    # The caller is real: her own club's business goes through.
    own = {"meeting_id": ids(), "club_id": clubs.b, "held_on": TODAY.isoformat()}
    accepted = await http.post(
        "/v1/membership/commands/hold-meeting",
        json=own,
        headers={**headers, "Idempotency-Key": ids()},
    )
    assert accepted.status_code == 201, accepted.text
    own_events = await _events_of_b(clubs)

    tried: dict[str, int] = {"named": 0, "own club": 0, "sync": 0}
    for path, (service, name) in sorted(commands.items()):
        assert path == f"/v1/{service}/commands/{kebab(name)}"
        assert (service, name) in OWNERSHIP, f"{service}.{name} has no ownership rule"
        body = await BUILDERS[(service, name)](clubs.a)
        forbidden_role = not POLICY.may_send(Role.CLUB_SECRETARY, service, name)
        ways: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        if "club_id" in body:
            ways.append(("named", body, {}))
        else:
            ways.append(("named", body, {"club_id": clubs.a.club}))
        if await holds_an_object_of_a(clubs, service, name, body):
            mine = {**body, "club_id": clubs.b} if "club_id" in body else body
            ways.append(("own club", mine, {}))
        fields = id_fields(service, name)
        for way, sent, params in ways:
            tried[way] += 1
            response = await http.post(
                path, json=sent, params=params, headers={**headers, "Idempotency-Key": ids()}
            )
            problem = problem_of(response)
            if not refused_rightly(problem, forbidden_role, fields):
                clubs.wrong.append(f"{service}.{name} ({way}): {json.dumps(problem)[:300]}")
            if way == "own club" and not forbidden_role:
                # The same request with ids nobody has: the very same answer, so an answer
                # never tells whether an id exists in another club.
                unknown = await http.post(
                    path,
                    json=with_unknown_ids(service, name, sent),
                    headers={**headers, "Idempotency-Key": ids()},
                )
                if problem_of(unknown) != problem:
                    clubs.wrong.append(
                        f"{service}.{name}: A's ids answer {json.dumps(problem)[:200]}, "
                        f"unknown ids {unknown.text[:200]}"
                    )
        batch = [
            {
                "idempotency_key": ids(),
                "service": service,
                "command": name,
                "payload": sent,
                "device_time": f"{TODAY.isoformat()}T08:00:00+07:00",
                **({"club_id": params["club_id"]} if params else {}),
            }
            for _way, sent, params in ways
        ]
        synced = await http.post("/v1/sync", json={"commands": batch}, headers=headers)
        assert synced.status_code == 200, synced.text
        for (way, _sent, _params), result in zip(ways, synced.json()["results"], strict=True):
            tried["sync"] += 1
            problem = result.get("problem") or {"status": result["status"]}
            if result["status"] != "rejected" or not refused_rightly(
                problem, forbidden_role, fields
            ):
                clubs.wrong.append(f"{service}.{name} (sync, {way}): {json.dumps(result)[:300]}")

    assert clubs.wrong == []
    assert tried["named"] == len(commands)
    assert tried["own club"] >= len(commands) // 2, tried  # most commands name A's objects
    # Nothing of hers was appended anywhere but her own meeting.
    assert await _events_of_b(clubs) == own_events


async def _events_of_b(clubs: Clubs) -> dict[str, int]:
    counts = {}
    for service in ("membership", "finance", "care", "advocacy"):
        pool = clubs.system.services[service].context.pool
        counts[service] = int(
            await pool.fetchval(
                "SELECT count(*) FROM events WHERE metadata->'actor'->>'user_id' = $1",
                B_SECRETARY,
            )
        )
    return counts


async def test_club_b_reads_nothing_of_club_a(clubs: Clubs) -> None:
    a = clubs.a
    person = a.members[0].person_id
    week = TODAY.isocalendar()
    values: dict[tuple[str | None, str], Any] = {
        (None, "club_id"): a.club,
        (None, "person_id"): person,
        (None, "as_of"): TODAY.isoformat(),
        (None, "on"): TODAY.isoformat(),
        (None, "year"): TODAY.year,
        (None, "iso_year"): week[0],
        (None, "iso_week"): week[1],
        ("finance", "loan_id"): await applied_loan(a),
        ("care", "case_id"): await referred_case(a),
    }
    headers = {"Authorization": f"Bearer {clubs.b_secretary}"}
    queries = openapi_queries(clubs.openapi)
    assert queries, "no query in the API"
    wrong: list[str] = []
    for path, (service, name, parameters) in sorted(queries.items()):
        params: dict[str, Any] = {}
        for parameter in parameters:
            key = parameter["name"]
            value = values.get((service, key), values.get((None, key)))
            if value is None and parameter.get("required"):
                wrong.append(f"{service}.{name}: no value for the required {key!r}: add one")
            if value is not None:
                params[key] = str(value)
        forbidden_role = not POLICY.may_read(Role.CLUB_SECRETARY, service, name)
        response = await clubs.system.http.get(path, params=params, headers=headers)
        problem = problem_of(response)
        if not refused_rightly(problem, forbidden_role, set()):
            wrong.append(f"{service}.{name} {params}: {json.dumps(problem)[:300]}")
        if a.members[0].person_id in response.text or a.club in response.text:
            wrong.append(f"{service}.{name}: the answer names A's club or person")
    assert wrong == []
