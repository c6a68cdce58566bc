"""The routing table of a service: command and query types → payload model and handler."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from ishc_contracts import Command, CommandEnvelope, Event, Query, QueryEnvelope
from ishc_contracts.bounds import window_context
from ishc_contracts.errors import DomainError, NotFound
from ishc_runtime.clock import vn_date
from ishc_runtime.commands import Target

if TYPE_CHECKING:
    from ishc_runtime.aggregates import Aggregate
    from ishc_runtime.service.context import ServiceContext

C = TypeVar("C", bound=Command)
S = TypeVar("S", bound=BaseModel)
Q = TypeVar("Q", bound=Query)
CommandHandler = Callable[["ServiceContext", CommandEnvelope, Any], Awaitable[dict[str, Any]]]
QueryHandler = Callable[["ServiceContext", QueryEnvelope, Any], Awaitable[dict[str, Any]]]
# What a handler registers as: its third argument is the validated payload of the type it was
# registered for, so mypy checks the handler against the contract it answers.
HandlesCommand = Callable[["ServiceContext", CommandEnvelope, C], Awaitable[dict[str, Any]]]
HandlesQuery = Callable[["ServiceContext", QueryEnvelope, Q], Awaitable[dict[str, Any]]]
# Many commands of one type at once (timers fired in a round): per command, in order, its
# result or the exception it raised (a `DomainError` for a refusal). Each must stay what the
# single handler would do with it alone, idempotent by its command_id.
# Which club a command's events are recorded in, decided before the decision: from the
# envelope, the payload or the stream (`Routes.decides`).
Scope = Callable[["ServiceContext", CommandEnvelope, Any, Target], Awaitable[CommandEnvelope]]
BatchHandler = Callable[
    ["ServiceContext", Sequence[tuple[CommandEnvelope, Any]]], Awaitable[Sequence[Any]]
]
HandlesBatch = Callable[
    ["ServiceContext", Sequence[tuple[CommandEnvelope, C]]], Awaitable[Sequence[Any]]
]


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
    batches: dict[str, BatchHandler] = field(default_factory=dict)

    def command(self, payload: type[C]) -> Callable[[HandlesCommand[C]], HandlesCommand[C]]:
        def register(handler: HandlesCommand[C]) -> HandlesCommand[C]:
            _refuse_second(self.commands, payload.__name__, "command")
            self.commands[payload.__name__] = CommandRoute(payload, handler)
            return handler

        return register

    def decides(
        self,
        payload: type[C],
        aggregate: Aggregate[S],
        key: Callable[[C], object],
        decide: Callable[[S, C], Sequence[Event]],
        *,
        scope: Scope | None = None,
    ) -> HandlesCommand[C]:
        """Register the usual handler in one line: load the stream of `aggregate` that the
        command's `key` names, `decide(state, command)`, append. `scope` sets the club the
        events are recorded in when the envelope does not say it (the club the payload names,
        or the stream's own). A handler that needs more (another stream, reference data) is
        written out with `command`."""

        def deciding(_ctx: ServiceContext, cmd: C) -> Callable[[S], Sequence[Event]]:
            return lambda state: decide(state, cmd)

        return self._decider(payload, aggregate, key, deciding, scope)

    def decides_dated(
        self,
        payload: type[C],
        aggregate: Aggregate[S],
        key: Callable[[C], object],
        decide: Callable[[S, C, date], Sequence[Event]],
        *,
        scope: Scope | None = None,
    ) -> HandlesCommand[C]:
        """`decides` for a decision that needs today's date in Viet Nam (the service clock's:
        domain code reads no clock): `decide(state, command, today)`."""

        def deciding(ctx: ServiceContext, cmd: C) -> Callable[[S], Sequence[Event]]:
            today = vn_date(ctx.clock.now())
            return lambda state: decide(state, cmd, today)

        return self._decider(payload, aggregate, key, deciding, scope)

    def _decider(
        self,
        payload: type[C],
        aggregate: Aggregate[S],
        key: Callable[[C], object],
        deciding: Callable[[ServiceContext, C], Callable[[S], Sequence[Event]]],
        scope: Scope | None,
    ) -> HandlesCommand[C]:
        async def handle(ctx: ServiceContext, env: CommandEnvelope, cmd: C) -> dict[str, Any]:
            target = Target(aggregate, aggregate.stream_id(key(cmd)))
            if scope is not None:
                env = await scope(ctx, env, cmd, target)
            return await ctx.processor.handle(env, aggregate, target.stream_id, deciding(ctx, cmd))

        handle.__name__ = handle.__qualname__ = f"decide_{payload.__name__}"
        # Where the route is declared (a service's commands module), as for a written-out
        # handler: what tracebacks, tooling and the layout check name.
        handle.__module__ = sys._getframe(2).f_globals.get("__name__", handle.__module__)
        return self.command(payload)(handle)

    def command_batch(self, payload: type[C]) -> Callable[[HandlesBatch[C]], HandlesBatch[C]]:
        """Register how many `payload` commands are handled at once (`run_many`), beside the
        handler of one (which must exist: requests and retries go through it)."""

        def register(handler: HandlesBatch[C]) -> HandlesBatch[C]:
            _refuse_second(self.batches, payload.__name__, "command batch")
            self.batches[payload.__name__] = handler
            return handler

        return register

    async def run(self, ctx: ServiceContext, envelope: CommandEnvelope) -> dict[str, Any]:
        """Run a command issued inside the service (a timer, a reaction): no bytes, no reply;
        a refusal raises the DomainError."""
        route, payload = self._validated(ctx, envelope)
        return await route.handler(ctx, envelope, payload)

    def _validated(
        self, ctx: ServiceContext, envelope: CommandEnvelope
    ) -> tuple[CommandRoute, Any]:
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
        return route, payload

    async def run_many(
        self, ctx: ServiceContext, envelopes: Sequence[CommandEnvelope], *, concurrency: int
    ) -> list[dict[str, Any] | BaseException]:
        """Run commands issued inside the service (a round of timers): per command, in order,
        its result or the exception it raised. Types with a batch handler go to it together
        (one call per type); the others run `concurrency` at a time through `run`."""
        answers: list[dict[str, Any] | BaseException] = [{} for _ in envelopes]
        batched: dict[str, list[tuple[int, CommandEnvelope, Any]]] = {}
        alone: list[int] = []
        for n, envelope in enumerate(envelopes):
            if envelope.type not in self.batches:
                alone.append(n)
                continue
            try:
                _, payload = self._validated(ctx, envelope)
            except DomainError as refused:
                answers[n] = refused
                continue
            batched.setdefault(envelope.type, []).append((n, envelope, payload))
        for kind, items in batched.items():
            results = await self.batches[kind](ctx, [(e, p) for _, e, p in items])
            if len(results) != len(items):
                msg = f"the {kind} batch answered {len(results)} of {len(items)} commands"
                raise RuntimeError(msg)
            for (n, _, _), result in zip(items, results, strict=True):
                answers[n] = result
        limit = asyncio.Semaphore(concurrency)

        async def one(envelope: CommandEnvelope) -> Any:
            async with limit:
                try:
                    return await self.run(ctx, envelope)
                except Exception as error:  # its answer, not the batch's
                    return error

        for n, answer in zip(
            alone, await asyncio.gather(*(one(envelopes[n]) for n in alone)), strict=True
        ):
            answers[n] = answer
        return answers

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
