"""What a command acts on: a service's definition, its database and the NATS server.

Definitions are found by importing `<service>.definition.definition()`. Tests (and tools
that build a service in code) register one with `use_definition`, which wins over import.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from ishc_contracts.operations import ProjectionKind
from ishc_runtime.aggregates import Aggregate
from ishc_runtime.clock import SystemClock
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceContext, ServiceDefinition
from ishc_runtime.service.operations import operated_projections

KNOWN_SERVICES = ("membership", "finance", "care", "advocacy", "reporting")
NATS_URL_ENV = "ISHC_NATS_URL"
DEFAULT_NATS_URL = "nats://127.0.0.1:4222"

_OVERRIDES: dict[str, ServiceDefinition] = {}
_AGGREGATES: dict[str, Sequence[Aggregate[Any]]] = {}


class OpsError(Exception):
    """A failure the CLI reports in one line with a documented exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# Exit codes (README.md lists them too).
OK = 0
FAILED = 1
USAGE = 2
NOT_FOUND = 3
UNREACHABLE = 4
DECLINED = 5


@contextmanager
def use_definition(
    definition: ServiceDefinition, aggregates: Sequence[Aggregate[Any]] = ()
) -> Iterator[None]:
    """Make `definition` the one `ishc` uses for its service name (tests, embedding);
    `aggregates` let `events show` fold state for streams of those types."""
    previous = _OVERRIDES.get(definition.name)
    _OVERRIDES[definition.name] = definition
    _AGGREGATES[definition.name] = aggregates
    try:
        yield
    finally:
        _AGGREGATES.pop(definition.name, None)
        if previous is None:
            _OVERRIDES.pop(definition.name, None)
        else:
            _OVERRIDES[definition.name] = previous


def registered_aggregate(service: str, stream_type: str) -> Aggregate[Any] | None:
    for aggregate in _AGGREGATES.get(service, ()):
        if aggregate.stream_type == stream_type:
            return aggregate
    return None


def load_definition(service: str) -> ServiceDefinition:
    if service in _OVERRIDES:
        return _OVERRIDES[service]
    try:
        module = importlib.import_module(f"{service}.definition")
    except ModuleNotFoundError as error:
        msg = f"unknown service {service!r}: no module {service}.definition ({error})"
        raise OpsError(msg, NOT_FOUND) from error
    definition: ServiceDefinition = module.definition()
    return definition


def env_var(service: str) -> str:
    return f"ISHC_{service.upper().replace('-', '_')}_DATABASE_URL"


def database_url(service: str, given: str | None) -> str:
    url = given or os.environ.get(env_var(service))
    if not url:
        msg = f"no database for {service}: pass --database-url or set {env_var(service)}"
        raise OpsError(msg, USAGE)
    return url


def nats_url(given: str | None) -> str:
    return given or os.environ.get(NATS_URL_ENV) or DEFAULT_NATS_URL


def find_projection(definition: ServiceDefinition, name: str) -> Projection:
    for projection in definition.projections:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in definition.projections) or "none"
    msg = (
        f"{definition.name} has no projection {name!r} (projections: {known};"
        " reactions, which send commands, are never rebuilt)"
    )
    raise OpsError(msg, NOT_FOUND)


@dataclass(frozen=True)
class Target:
    definition: ServiceDefinition
    database_url: str
    nats_url: str

    @property
    def service(self) -> str:
        return self.definition.name


def target(service: str, database: str | None, nats: str | None) -> Target:
    return Target(load_definition(service), database_url(service, database), nats_url(nats))


def with_reactions(
    definition: ServiceDefinition, pool: asyncpg.Pool
) -> list[tuple[Projection, ProjectionKind]]:
    """The service's projections and its reactions (built on a context over `pool`, as the
    service builds them), each with its kind: "projection" or "reaction"."""
    context = ServiceContext.build(
        definition.name, pool, definition.registry, SystemClock(), definition.routes
    )
    return list(operated_projections(definition.projections, definition.reactions, context))


def find_any(definition: ServiceDefinition, pool: asyncpg.Pool, name: str) -> Projection:
    """A projection or a reaction by name (for dead letters, which both may have)."""
    for projection, _ in with_reactions(definition, pool):
        if projection.name == name:
            return projection
    raise OpsError(f"{definition.name} has no projection or reaction {name!r}", NOT_FOUND)


def refuse_reaction(definition: ServiceDefinition, pool: asyncpg.Pool, name: str) -> None:
    for projection, kind in with_reactions(definition, pool):
        if projection.name == name and kind == "reaction":
            msg = f"{name} is a reaction (its handlers send commands): reactions are never rebuilt"
            raise OpsError(msg, FAILED)
