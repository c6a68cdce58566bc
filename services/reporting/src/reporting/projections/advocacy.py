"""Reporting's view of advocacy: entitlement cases opened, approved and rejected by scheme."""

from __future__ import annotations

from ishc_contracts.advocacy.events import (
    EntitlementApproved,
    EntitlementCaseOpened,
    EntitlementRejected,
)
from ishc_runtime.projections import Projection

TABLES = ["rpt_entitlement_cases"]


def advocacy_projection(source: str = "advocacy") -> Projection:
    projection = Projection(
        name="reporting_advocacy", sources=[source], policy="park", tables=TABLES
    )

    projection.row(
        EntitlementCaseOpened,
        "INSERT INTO rpt_entitlement_cases (case_id, club_id, person_id, scheme,"
        " opened_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
        lambda e: (e.case_id, e.club_id, e.person_id, e.scheme, e.opened_on),
    )

    projection.row(
        EntitlementApproved,
        "UPDATE rpt_entitlement_cases SET approved_on = coalesce(approved_on, $2)"
        " WHERE case_id = $1",
        lambda e: (e.case_id, e.decided_on),
    )

    projection.row(
        EntitlementRejected,
        "UPDATE rpt_entitlement_cases SET rejected_on = coalesce(rejected_on, $2)"
        " WHERE case_id = $1",
        lambda e: (e.case_id, e.decided_on),
    )

    return projection
