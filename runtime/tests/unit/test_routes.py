"""A routing table answers each command and query with exactly one handler."""

from __future__ import annotations

from typing import Any

import pytest

from ishc_contracts import Command, CommandEnvelope, Query, QueryEnvelope
from ishc_runtime.service import Routes
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import DuplicateRoute

pytestmark = pytest.mark.unit


class OpenGate(Command):
    gate: str


class GateStatus(Query):
    gate: str


async def first(ctx: ServiceContext, envelope: CommandEnvelope, payload: Any) -> dict[str, Any]:
    return {"handler": "first"}


async def second(ctx: ServiceContext, envelope: CommandEnvelope, payload: Any) -> dict[str, Any]:
    return {"handler": "second"}


async def status(ctx: ServiceContext, envelope: QueryEnvelope, params: Any) -> dict[str, Any]:
    return {}


def test_a_second_handler_for_a_command_is_refused_and_the_first_stays() -> None:
    routes = Routes()
    routes.command(OpenGate)(first)

    with pytest.raises(DuplicateRoute, match="command OpenGate"):
        routes.command(OpenGate)(second)

    assert routes.commands["OpenGate"].handler is first


def test_a_second_handler_for_a_query_is_refused() -> None:
    routes = Routes()
    routes.query(GateStatus)(status)

    with pytest.raises(DuplicateRoute, match="query GateStatus"):
        routes.query(GateStatus)(status)
