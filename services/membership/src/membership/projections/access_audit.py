"""access_audit: who read which person's personal data through the gateway (ADR 0053).

The gateway stores each read as `AccessRecorded` on its stream before answering; membership,
which owns persons, keeps them here for the national admin's `AccessReport`. Insert-only and
keyed by `access_id`, so a redelivered or repeated record changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from ishc_contracts import EventEnvelope
from ishc_contracts.audit import AccessRecorded
from ishc_runtime.projections import Projection
from ishc_runtime.projections.projection import Write

NAME = "membership_access_audit"
TABLES = ["access_audit"]
INSERT = (
    "INSERT INTO access_audit (access_id, read_at, principal_id, role, route, purpose,"
    " subject_ids, field_names, categories, correlation_id, part)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (access_id) DO NOTHING"
)


def access_audit_projection(source: str = AccessRecorded.service) -> Projection:
    # `stop`: an audit record is never set aside; a record that cannot be stored holds the
    # projection until an operator looks (the records wait in the stream meanwhile).
    projection = Projection(name=NAME, sources=[source], policy="stop", tables=TABLES)

    @projection.writes(AccessRecorded)
    def recorded(env: EventEnvelope, ev: AccessRecorded) -> Sequence[Write]:
        return [
            Write(
                INSERT,
                (
                    ev.access_id,
                    ev.read_at,
                    ev.principal_id,
                    ev.role,
                    ev.route,
                    ev.purpose,
                    list(ev.subject_ids),
                    list(ev.field_names),
                    list(ev.categories),
                    ev.correlation_id,
                    ev.part,
                ),
            )
        ]

    return projection
