"""schemathesis over the gateway's own ``/openapi.json``, against the real system.

Every operation of the document (commands, queries, sync, live updates, dev tokens, health)
is called with schema-shaped (positive) and schema-breaking (negative) requests as a national
admin and as the secretary of a club established here, and every answer must hold to the
document: no 5xx, a documented status code and content type, documented headers, a body that
matches the documented schema. The services behind the gateway are the real ones on real
NATS and Postgres (``system`` in conftest).

schemathesis calls over a real socket with ``requests`` (its ASGI transport would run the app
on another event loop, away from the NATS client and the services), so the gateway is served
by uvicorn on 127.0.0.1 on the session's loop, and each operation's hypothesis run goes to a
worker thread while that loop serves it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from gateway.app import create_app
from gateway.auth import DEMO_CLUB_A
from gateway.settings import GatewaySettings
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .harness import E2E_SECRET, System

pytestmark = pytest.mark.e2e

# The document as a client downloads it; building the app connects to nothing.
SPEC: dict[str, Any] = create_app(
    GatewaySettings(dev_mode=True, jwt_hs256_secret=E2E_SECRET)
).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)


def _operations() -> dict[str, APIOperation[Any, Any, Any, Any]]:
    found: dict[str, APIOperation[Any, Any, Any, Any]] = {}
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        found[result.ok().label] = result.ok()
    return found


OPERATIONS = _operations()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
POSITIVE_EXAMPLES = 6
NEGATIVE_EXAMPLES = 4
SEEDED_CLUB = DEMO_CLUB_A


def _streams(label: str) -> bool:
    method, path = label.split(" ", 1)
    ok = SPEC["paths"][path][method.lower()]["responses"].get("200", {})
    return "text/event-stream" in ok.get("content", {})


def _takes_input(label: str) -> bool:
    method, path = label.split(" ", 1)
    operation = SPEC["paths"][path][method.lower()]
    return bool(operation.get("parameters") or operation.get("requestBody"))


async def _true(value: bool) -> bool:
    return value


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def base_url(system: System, infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A second gateway over the same bus and services, served by uvicorn on a real port."""
    assert system.services, "the services must be running"
    app = create_app(
        GatewaySettings(
            nats_url=infrastructure.nats_url,
            dev_mode=True,
            jwt_hs256_secret=E2E_SECRET,
            request_timeout_seconds=10,
            # The services take requests sealed with their transport key only.
            transport_key=next(iter(system.services.values())).settings.transport_key,
        )
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: _true(server.started), timeout=30, message="uvicorn not up")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=30)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bearers(system: System) -> dict[str, str]:
    """A national admin, the secretary of a club that exists (so their calls get past the
    scope checks and reach the services' rules), and a caller with a bad token."""
    admin = await system.token(user="admin")
    await system.command(
        admin,
        "membership",
        "establish-club",
        {
            "club_id": str(SEEDED_CLUB),
            "name": "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm",
            "admin_unit": "01:00070",
            "founded_on": "2024-03-21",
        },
    )
    return {
        "national_admin": admin,
        "club_secretary": await system.token(user="secretary-a"),
        "anonymous": "not-a-token",  # every operation's 401 (or its openness) as well
    }


def _as_secretary(case: Case[Any]) -> None:
    """Point the case at the secretary's own club, and make it a new change (a new key), so
    it is not refused by scope or answered as a repeat of the admin's call."""
    if isinstance(case.body, dict) and "club_id" in case.body:
        case.body["club_id"] = str(SEEDED_CLUB)
    if case.query and "club_id" in case.query:
        case.query["club_id"] = str(SEEDED_CLUB)
    if case.headers and _is_uuid(case.headers.get("Idempotency-Key")):
        case.headers["Idempotency-Key"] = str(uuid4())


def _is_uuid(value: object) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def _is_a_problem(response: Response) -> None:
    """What the document cannot say: every error is RFC 9457 with our stable type URIs."""
    assert response.headers.get("content-type") == ["application/problem+json"], response.text
    problem = response.json()
    assert problem["type"].startswith("https://ishc.vn/problems/"), problem
    assert problem["status"] == response.status_code, problem


def _fuzz(label: str, base_url: str, bearers: dict[str, str]) -> None:
    """Hypothesis runs of one operation, positive then (when it takes input) negative."""
    operation = OPERATIONS[label]
    streams = _streams(label)
    modes = [(GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
    if _takes_input(label):
        modes.append((GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
    for mode, examples in modes:

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,  # the checkout is shared; keep no example database in it
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode))
        def run(case: Case[Any]) -> None:
            for role, bearer in bearers.items():
                if streams and role == "national_admin":
                    # A 200 stream never ends; an admin's is read in the gateway's
                    # integration tests. The secretary's other clubs answer 404 here.
                    continue
                if role == "club_secretary":
                    _as_secretary(case)
                response = case.call(
                    base_url=base_url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30
                )
                case.validate_response(response, checks=CHECKS)
                if response.status_code >= 400:
                    _is_a_problem(response)

        run()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
async def test_every_answer_holds_to_the_openapi_document(
    label: str, base_url: str, bearers: dict[str, str]
) -> None:
    await asyncio.to_thread(_fuzz, label, base_url, bearers)


def test_the_document_lists_every_kind_of_operation() -> None:
    paths = {label.split(" ", 1)[1] for label in OPERATIONS}
    for expected in ("/v1/sync", "/v1/clubs/{club_id}/events", "/v1/dev/tokens", "/readyz"):
        assert expected in paths
    assert any("/commands/" in p for p in paths) and any("/queries/" in p for p in paths)
