"""A routing table answers each command and query with exactly one handler."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from ishc_contracts import SYSTEM_ACTOR, Command, CommandEnvelope, Query, QueryEnvelope, new_id
from ishc_runtime.clock import FakeClock
from ishc_runtime.service import Routes
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import DuplicateRoute, InvalidCommand

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


class CloseGate(Command):
    gate: str


def test_a_second_batch_handler_for_a_command_is_refused() -> None:
    routes = Routes()
    routes.command_batch(OpenGate)(open_many)

    with pytest.raises(DuplicateRoute, match="command batch OpenGate"):
        routes.command_batch(OpenGate)(open_many)


async def open_many(
    ctx: ServiceContext, items: Sequence[tuple[CommandEnvelope, OpenGate]]
) -> list[Any]:
    return [
        ValueError("stuck") if payload.gate == "stuck" else {"opened": payload.gate}
        for _, payload in items
    ]


async def close(ctx: ServiceContext, envelope: CommandEnvelope, payload: Any) -> dict[str, Any]:
    if payload.gate == "stuck":
        raise ValueError("stuck")
    return {"closed": payload.gate}


async def test_run_many_answers_each_command_in_order_batching_the_types_that_can_be() -> None:
    routes = Routes()
    routes.command(OpenGate)(first)
    routes.command_batch(OpenGate)(open_many)
    routes.command(CloseGate)(close)
    ctx: Any = SimpleNamespace(clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))

    def envelope(kind: str, **payload: Any) -> CommandEnvelope:
        return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=payload)

    answers = await routes.run_many(
        ctx,
        [
            envelope("OpenGate", gate="north"),
            envelope("CloseGate", gate="east"),
            envelope("OpenGate", gate="stuck"),
            envelope("OpenGate"),  # no gate: refused alone
            envelope("CloseGate", gate="stuck"),
            envelope("OpenGate", gate="south"),
        ],
        concurrency=2,
    )

    assert answers[0] == {"opened": "north"}
    assert answers[1] == {"closed": "east"}
    assert isinstance(answers[2], ValueError)
    assert isinstance(answers[3], InvalidCommand)
    assert isinstance(answers[4], ValueError)
    assert answers[5] == {"opened": "south"}
