"""The routing table of a service: command and query types → payload model and handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ishc_contracts import Command, CommandEnvelope, Query, QueryEnvelope

if TYPE_CHECKING:
    from ishc_runtime.service.context import ServiceContext

C = TypeVar("C", bound=Command)
Q = TypeVar("Q", bound=Query)
CommandHandler = Callable[["ServiceContext", CommandEnvelope, Any], Awaitable[dict[str, Any]]]
QueryHandler = Callable[["ServiceContext", QueryEnvelope, Any], Awaitable[dict[str, Any]]]


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

    def command(self, payload: type[C]) -> Callable[[CommandHandler], CommandHandler]:
        def register(handler: CommandHandler) -> CommandHandler:
            self.commands[payload.__name__] = CommandRoute(payload, handler)
            return handler

        return register

    def query(self, params: type[Q]) -> Callable[[QueryHandler], QueryHandler]:
        def register(handler: QueryHandler) -> QueryHandler:
            self.queries[params.__name__] = QueryRoute(params, handler)
            return handler

        return register
