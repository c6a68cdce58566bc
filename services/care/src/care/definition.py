"""The care service as the runtime runs it."""

from __future__ import annotations

from care.application import commands, queries, reports  # noqa: F401 - they fill the routes
from care.application.aggregates import AGGREGATES
from care.application.reactions import membership_reactions
from care.application.routes import routes
from care.projections.cases import cases_projection
from care.projections.checkups import checkups_projection
from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.consent import consent_projection
from ishc_runtime.ownership import Ownership
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.service.retention import retention_reaction
from ishc_runtime.store.migrations import MigrationSource

SERVICE = "care"


def definition(name: str = SERVICE) -> ServiceDefinition:
    """`name` is the bus name: "care" in production and in integration tests."""
    # Which club each object belongs to: this service's objects, and membership's people.
    ownership = Ownership(SERVICE, sources=("membership", name))
    return ServiceDefinition(
        name=name,
        aggregates=AGGREGATES,
        routes=routes,
        registry=REGISTRY,
        ownership=ownership,
        migrations=[MigrationSource.package("care", "care.projections", "sql")],
        projections=[
            cases_projection(),
            checkups_projection(),
            ownership.projection(),
            # Health follow-up needs the person's consent (ishc_runtime.consent).
            consent_projection(name),
        ],
        # Retention of health data and notes, from the `retention` reference list.
        reactions=[membership_reactions, retention_reaction(SERVICE, name)],
    )
