"""The client's trace context reaches the bus call, whether or not spans are recorded (unit:
with no tracer provider installed, FastAPI records nothing and `TraceContext` passes the
context on; with one, FastAPI's span continues it)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gateway.auth import Role
from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import Reply
from ishc_runtime.observability import tracing
from ishc_runtime.testing.spans import parse_traceparent

from ..support import (
    FakeBus,
    command_headers,
    token,
)

pytestmark = pytest.mark.unit

TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE}-b7ad6b7169203331-01"


def admin() -> str:
    # Minted per test, not at import: a slow suite outlives a token's ten minutes.
    return token(Role.NATIONAL_ADMIN, clubs=())


@pytest.fixture
def seen(bus: FakeBus) -> list[dict[str, str]]:
    """The trace context current while each command or query is sent."""
    contexts: list[dict[str, str]] = []

    def on_command(envelope: CommandEnvelope) -> Reply:
        contexts.append(tracing.inject())
        return Reply.success({"command_id": str(envelope.command_id), "duplicate": False})

    def on_query(envelope: QueryEnvelope) -> Reply:
        contexts.append(tracing.inject())
        return Reply.success({"balance": 0})

    bus.command_replies["Deposit"] = on_command
    bus.query_replies["Balance"] = on_query
    return contexts


def test_a_command_and_a_query_are_sent_in_the_clients_trace(
    client: TestClient, seen: list[dict[str, str]]
) -> None:
    account = "0193a000-0000-7000-8000-000000000001"
    sent = client.post(
        "/v1/sample/commands/deposit",
        json={"account_id": account, "amount": 1000},
        headers={**command_headers(admin()), "traceparent": TRACEPARENT},
    )
    assert sent.status_code == 201, sent.text
    read = client.get(
        "/v1/sample/queries/balance",
        params={"account_id": account},
        headers={"Authorization": f"Bearer {admin()}", "traceparent": TRACEPARENT},
    )
    assert read.status_code == 200, read.text
    assert [parse_traceparent(c["traceparent"])[0] for c in seen] == [TRACE, TRACE]


def test_without_a_traceparent_no_foreign_trace_is_invented(
    client: TestClient, seen: list[dict[str, str]]
) -> None:
    sent = client.post(
        "/v1/sample/commands/deposit",
        json={"account_id": "0193a000-0000-7000-8000-000000000001", "amount": 1000},
        headers=command_headers(admin()),
    )
    assert sent.status_code == 201, sent.text
    (context,) = seen
    # No provider: nothing to propagate; with one: a trace the gateway started, not TRACE.
    assert TRACE not in context.get("traceparent", "")
