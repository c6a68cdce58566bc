"""The finance service as the runtime runs it."""

from __future__ import annotations

from finance.application import commands, queries  # noqa: F401 - importing registers the routes
from finance.application.aggregates import AGGREGATES
from finance.application.reactions import deceased_borrowers
from finance.application.routes import routes
from finance.projections.funds import funds_projection
from finance.projections.in_kind import in_kind_projection
from finance.projections.loan_book import loan_book_projection
from finance.projections.members import members_projection
from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.ownership import Ownership
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.service.retention import retention_reaction
from ishc_runtime.store.migrations import MigrationSource

SERVICE = "finance"


def definition(name: str = SERVICE) -> ServiceDefinition:
    # Which club each object belongs to: this service's objects, and membership's people.
    ownership = Ownership(SERVICE, sources=("membership", name))
    return ServiceDefinition(
        name=name,
        aggregates=AGGREGATES,
        routes=routes,
        registry=REGISTRY,
        ownership=ownership,
        migrations=[MigrationSource.package("finance", "finance.projections")],
        projections=[
            members_projection(),
            funds_projection(),
            loan_book_projection(),
            in_kind_projection(),
            ownership.projection(),
        ],
        # Retention of loan notes, from the `retention` reference list.
        reactions=[deceased_borrowers, retention_reaction(SERVICE, name)],
    )
