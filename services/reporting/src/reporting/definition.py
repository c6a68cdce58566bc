"""The reporting service as the runtime runs it: projections of all four services' streams and
indicator queries. It has no aggregates and appends no events of its own."""

from __future__ import annotations

from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.projections import Projection
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.migrations import MigrationSource
from reporting.application import queries  # noqa: F401 - importing registers the routes
from reporting.application.routes import routes
from reporting.projections.advocacy import advocacy_projection
from reporting.projections.care import care_projection
from reporting.projections.finance import finance_projection
from reporting.projections.membership import membership_projection

SERVICE = "reporting"


def projections() -> list[Projection]:
    return [
        membership_projection(),
        finance_projection(),
        care_projection(),
        advocacy_projection(),
    ]


def definition(name: str = SERVICE) -> ServiceDefinition:
    return ServiceDefinition(
        name=name,
        routes=routes,
        registry=REGISTRY,
        migrations=[MigrationSource.package("reporting", "reporting.projections")],
        projections=projections(),
    )
