"""The membership service as the runtime runs it."""

from __future__ import annotations

from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.ownership import Ownership
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.service.retention import retention_reaction
from ishc_runtime.store.migrations import MigrationSource
from membership.application import commands, queries, reports
from membership.application.aggregates import AGGREGATES
from membership.application.routes import routes
from membership.projections.access_audit import access_audit_projection
from membership.projections.attendance import attendance_projection
from membership.projections.composition import composition_projection
from membership.projections.people import people_projection
from membership.projections.roster import roster_projection

SERVICE = "membership"
# Importing the command, query and report modules registers their routes.
_REGISTERED = (commands, queries, reports)


def definition(name: str = SERVICE) -> ServiceDefinition:
    """`name` is the bus name: "membership" in production and in the integration tests."""
    # Which club each object belongs to: this service's objects, and membership's people.
    ownership = Ownership(SERVICE, sources=(name,))
    # The gateway's access records (one GATEWAY stream): projected by the membership that
    # serves the gateway, not by copies under other bus names sharing a NATS server.
    audit = [access_audit_projection()] if name == SERVICE else []
    return ServiceDefinition(
        name=name,
        aggregates=AGGREGATES,
        routes=routes,
        registry=REGISTRY,
        ownership=ownership,
        migrations=[MigrationSource.package("membership", "membership.projections", "sql")],
        projections=[
            roster_projection(name),
            people_projection(name),
            composition_projection(name),
            attendance_projection(name),
            ownership.projection(),
            *audit,
        ],
        # Retention of former members' identity and contact (the `retention` reference list).
        reactions=[retention_reaction(SERVICE, name)],
    )
