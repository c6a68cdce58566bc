"""The routing table of a service: command and query types → payload model and handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from ishc_contracts import Command, CommandEnvelope, Query, QueryEnvelope
from ishc_contracts.bounds import window_context
from ishc_contracts.errors import DomainError, NotFound

if TYPE_CHECKING:
    from ishc_runtime.service.context import ServiceContext

C = TypeVar("C", bound=Command)
Q = TypeVar("Q", bound=Query)
CommandHandler = Callable[["ServiceContext", CommandEnvelope, Any], Awaitable[dict[str, Any]]]
QueryHandler = Callable[["ServiceContext", QueryEnvelope, Any], Awaitable[dict[str, Any]]]
# What a handler registers as: its third argument is the validated payload of the type it was
# registered for, so mypy checks the handler against the contract it answers.
HandlesCommand = Callable[["ServiceContext", CommandEnvelope, C], Awaitable[dict[str, Any]]]
HandlesQuery = Callable[["ServiceContext", QueryEnvelope, Q], Awaitable[dict[str, Any]]]


class DuplicateRoute(ValueError):
    """Two handlers registered for one command or query: the second would silently win."""


class InvalidCommand(DomainError):
    type = "validation"
    title = "Invalid command"


@dataclass(frozen=True)
class CommandRoute:
    payload: type[Command]
    handler: CommandHandler


@dataclass(frozen=True)
class QueryRoute:
    params: type[Query]
    handler: QueryHandler


@dataclass
class Routes:
    """Read it top to bottom to know everything a service answers."""

    commands: dict[str, CommandRoute] = field(default_factory=dict)
    queries: dict[str, QueryRoute] = field(default_factory=dict)

    def command(self, payload: type[C]) -> Callable[[HandlesCommand[C]], HandlesCommand[C]]:
        def register(handler: HandlesCommand[C]) -> HandlesCommand[C]:
            _refuse_second(self.commands, payload.__name__, "command")
            self.commands[payload.__name__] = CommandRoute(payload, handler)
            return handler

        return register

    async def run(self, ctx: ServiceContext, envelope: CommandEnvelope) -> dict[str, Any]:
        """Run a command issued inside the service (a timer, a reaction): no bytes, no reply;
        a refusal raises the DomainError."""
        route = self.commands.get(envelope.type)
        if route is None:
            msg = f"no command named {envelope.type!r}"
            raise NotFound(msg, field="type")
        try:
            payload = route.payload.model_validate(
                envelope.payload, context=window_context(ctx.clock.now())
            )
        except ValidationError as error:
            raise InvalidCommand(
                f"{envelope.type}: {error.error_count()} invalid field(s)"
            ) from error
        return await route.handler(ctx, envelope, payload)

    def query(self, params: type[Q]) -> Callable[[HandlesQuery[Q]], HandlesQuery[Q]]:
        def register(handler: HandlesQuery[Q]) -> HandlesQuery[Q]:
            _refuse_second(self.queries, params.__name__, "query")
            self.queries[params.__name__] = QueryRoute(params, handler)
            return handler

        return register


def _refuse_second(table: dict[str, Any], name: str, kind: str) -> None:
    if name in table:
        msg = f"{kind} {name} already has a handler"
        raise DuplicateRoute(msg)
