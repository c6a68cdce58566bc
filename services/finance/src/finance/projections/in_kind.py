"""In-kind revolving support: who holds which asset, and when its pass-on is due."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.finance.events import (
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
)
from ishc_runtime.projections import Projection, Write


def in_kind_projection() -> Projection:
    projection = Projection(
        name="finance_in_kind", sources=["finance"], policy="stop", tables=["finance_in_kind"]
    )

    @projection.writes(InKindAssetLent)
    def lent(env: EventEnvelope, e: InKindAssetLent) -> list[Write]:
        sql = (
            "INSERT INTO finance_in_kind (asset_id, club_id, member_id, asset_type, value,"
            " lent_on, pass_on_due, previous_asset_id, version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        args = (
            e.asset_id, e.club_id, e.member_id, e.asset_type, e.value, e.lent_on, e.pass_on_due,
            e.previous_asset_id, env.version,
        )  # fmt: skip
        return [Write(sql, args)]

    @projection.writes(InKindAssetPassedOn)
    def passed(env: EventEnvelope, e: InKindAssetPassedOn) -> list[Write]:
        sql = "UPDATE finance_in_kind SET passed_on = $2, version = $3 WHERE asset_id = $1"
        return [Write(sql, (e.asset_id, e.passed_on, env.version))]

    @projection.writes(InKindPassOnOverdue)
    def overdue(env: EventEnvelope, e: InKindPassOnOverdue) -> list[Write]:
        sql = "UPDATE finance_in_kind SET overdue_since = $2, version = $3 WHERE asset_id = $1"
        return [Write(sql, (e.asset_id, e.as_of, env.version))]

    return projection
