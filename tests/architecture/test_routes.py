"""Every command and query in the contracts has its route in the service that owns it, and a
service routes nothing the contracts do not declare (a missing route is a 404 on the bus)."""

from __future__ import annotations

import importlib

import pytest

from ishc_contracts import Command, Query, audit
from ishc_contracts.catalogue import SERVICE_COMMANDS
from ishc_runtime.service import ServiceDefinition

pytestmark = pytest.mark.unit

SERVICES = ("membership", "finance", "care", "advocacy", "reporting")


def definition_of(service: str) -> ServiceDefinition:
    module = importlib.import_module(f"{service}.definition")
    built = module.definition()
    assert isinstance(built, ServiceDefinition)
    return built


def declared_queries(service: str) -> tuple[type[Query], ...]:
    queries: tuple[type[Query], ...] = importlib.import_module(
        f"ishc_contracts.{service}.queries"
    ).QUERIES
    # Plus the audit queries it answers for operator routes (ishc_contracts.audit).
    return queries + audit.QUERIES.get(service, ())


def names(models: tuple[type[Command], ...] | tuple[type[Query], ...]) -> set[str]:
    return {model.__name__ for model in models}


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_routes_exactly_the_commands_its_contracts_declare(service: str) -> None:
    routes = definition_of(service).routes
    assert set(routes.commands) == names(SERVICE_COMMANDS.get(service, ()))
    for name, route in routes.commands.items():
        assert route.payload.__name__ == name


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_routes_exactly_the_queries_its_contracts_declare(service: str) -> None:
    routes = definition_of(service).routes
    assert set(routes.queries) == names(declared_queries(service))
    for name, route in routes.queries.items():
        assert route.params.__name__ == name


# The services drawn in docs/services.md "## Layout" (reporting answers queries only).
LAID_OUT = ("membership", "finance", "care", "advocacy")


@pytest.mark.parametrize("service", LAID_OUT)
def test_each_route_lives_where_the_layout_puts_it(service: str) -> None:
    """A command's handler in application/commands/, a query's in queries.py or reports.py
    (the runtime's operator queries are served beside these routes, not in them)."""
    routes = definition_of(service).routes
    commands = f"{service}.application.commands."
    for name, command in routes.commands.items():
        assert command.handler.__module__.startswith(commands), name
    for name, batch in routes.batches.items():
        assert batch.__module__.startswith(commands), name
    answering = {f"{service}.application.queries", f"{service}.application.reports"}
    for name, query in routes.queries.items():
        assert query.handler.__module__ in answering, name
