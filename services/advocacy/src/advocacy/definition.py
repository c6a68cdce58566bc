"""The advocacy service as the runtime runs it."""

from __future__ import annotations

from advocacy.application import commands, queries  # noqa: F401 - register routes
from advocacy.application.aggregates import AGGREGATES
from advocacy.application.reactions import funeral_reaction, people_projection
from advocacy.application.routes import routes
from advocacy.projections.claims import claims_projection
from advocacy.projections.screenings import screenings_projection
from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.consent import consent_projection
from ishc_runtime.ownership import Ownership
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.migrations import MigrationSource

SERVICE = "advocacy"


def definition(name: str = SERVICE) -> ServiceDefinition:
    """`name` is the bus name; projections read advocacy's own stream under that name."""
    # Which club each object belongs to: this service's objects, and membership's people.
    ownership = Ownership(SERVICE, sources=("membership", name))
    return ServiceDefinition(
        name=name,
        aggregates=AGGREGATES,
        routes=routes,
        registry=REGISTRY,
        ownership=ownership,
        migrations=[MigrationSource.package("advocacy", "advocacy.projections")],
        projections=[
            claims_projection(name),
            screenings_projection(name),
            ownership.projection(),
            # Sharing a person's file with public offices needs consent (ishc_runtime.consent).
            consent_projection(name),
        ],
        reactions=[people_projection, funeral_reaction],
    )
