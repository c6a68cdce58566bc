"""In-kind revolving support: who holds which asset, and when its pass-on is due."""

from __future__ import annotations

from ishc_contracts import EventEnvelope
from ishc_contracts.finance.events import (
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
)
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection


def in_kind_projection() -> Projection:
    projection = Projection(
        name="finance_in_kind", sources=["finance"], policy="stop", tables=["finance_in_kind"]
    )

    @projection.on(InKindAssetLent)
    async def lent(conn: Connection, env: EventEnvelope, e: InKindAssetLent) -> None:
        await conn.execute(
            "INSERT INTO finance_in_kind (asset_id, club_id, member_id, asset_type, value,"
            " lent_on, pass_on_due, previous_asset_id, version)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            e.asset_id,
            e.club_id,
            e.member_id,
            e.asset_type,
            e.value,
            e.lent_on,
            e.pass_on_due,
            e.previous_asset_id,
            env.version,
        )

    @projection.on(InKindAssetPassedOn)
    async def passed(conn: Connection, env: EventEnvelope, e: InKindAssetPassedOn) -> None:
        await conn.execute(
            "UPDATE finance_in_kind SET passed_on = $2, version = $3 WHERE asset_id = $1",
            e.asset_id,
            e.passed_on,
            env.version,
        )

    @projection.on(InKindPassOnOverdue)
    async def overdue(conn: Connection, env: EventEnvelope, e: InKindPassOnOverdue) -> None:
        await conn.execute(
            "UPDATE finance_in_kind SET overdue_since = $2, version = $3 WHERE asset_id = $1",
            e.asset_id,
            e.as_of,
            env.version,
        )

    return projection
