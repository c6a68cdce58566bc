"""Queries over advocacy's read models (request/reply)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advocacy.application.routes import routes
from ishc_contracts import QueryEnvelope
from ishc_contracts.advocacy.queries import (
    HouseholdsHelped,
    OpenClaims,
    ScreeningHistory,
    UnclaimedWorklist,
)
from ishc_contracts.ownership import PERSON
from ishc_runtime.clock import vn_date
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import reflects

_OPEN = """
SELECT case_id, person_id, club_id, scheme, stage, opened_on, submitted_on, decision_due_on,
       (overdue OR (stage IN ('submitted', 'appealed') AND decision_due_on < $2)) AS overdue,
       flags, version
FROM advocacy_claims
WHERE stage NOT IN ('closed') AND ($1::uuid IS NULL OR club_id = $1)
ORDER BY opened_on, case_id
"""
_HELPED = """
SELECT count(DISTINCT coalesce(p.household_id, c.person_id)) AS households,
       count(DISTINCT c.person_id) AS people, count(*) AS approved_claims
FROM advocacy_claims c LEFT JOIN advocacy_people p ON p.person_id = c.person_id
WHERE c.approved_on IS NOT NULL AND ($1::uuid IS NULL OR c.club_id = $1)
"""
_UNCLAIMED = """
SELECT s.person_id, s.member_id, s.scheme, s.as_of, s.expected_monthly_amount, s.screening_id
FROM advocacy_latest_screenings s
LEFT JOIN advocacy_people p ON p.person_id = s.person_id
WHERE s.club_id = $1 AND s.result = 'eligible' AND p.left_on IS NULL
  AND NOT EXISTS (SELECT 1 FROM advocacy_claims c WHERE c.person_id = s.person_id
                  AND c.scheme = s.scheme AND (c.stage <> 'closed' OR c.approved_on IS NOT NULL))
ORDER BY s.as_of, s.person_id, s.scheme
"""
_HISTORY = """
SELECT scheme, screening_id, as_of, result, expected_monthly_amount, rule_version,
       parameters_version, reasons
FROM advocacy_latest_screenings WHERE person_id = $1 ORDER BY scheme
"""


def _rows(records: list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


@routes.query(OpenClaims)
async def open_claims(ctx: ServiceContext, env: QueryEnvelope, q: OpenClaims) -> dict[str, Any]:
    fresh = await reflects(ctx, env, ["advocacy_claims"])
    rows = _rows(await ctx.pool.fetch(_OPEN, q.club_id, vn_date(ctx.clock.now())))
    by_stage: dict[str, int] = {}
    for row in rows:
        by_stage[row["stage"]] = by_stage.get(row["stage"], 0) + 1
    overdue = sum(1 for row in rows if row["overdue"])
    return {"claims": rows, "by_stage": by_stage, "overdue": overdue, "stale": not fresh}


@routes.query(HouseholdsHelped)
async def households_helped(
    ctx: ServiceContext, env: QueryEnvelope, q: HouseholdsHelped
) -> dict[str, Any]:
    fresh = await reflects(ctx, env, ["advocacy_claims"])
    row = await ctx.pool.fetchrow(_HELPED, q.club_id)
    assert row is not None
    return {**dict(row), "stale": not fresh}


@routes.query(UnclaimedWorklist)
async def unclaimed(
    ctx: ServiceContext, env: QueryEnvelope, q: UnclaimedWorklist
) -> dict[str, Any]:
    fresh = await reflects(ctx, env, ["advocacy_screenings", "advocacy_claims"])
    return {"people": _rows(await ctx.pool.fetch(_UNCLAIMED, q.club_id)), "stale": not fresh}


@routes.query(ScreeningHistory)
async def history(ctx: ServiceContext, env: QueryEnvelope, q: ScreeningHistory) -> dict[str, Any]:
    fresh = await reflects(ctx, env, ["advocacy_screenings"])
    # The person's clubs (ishc_runtime.ownership): the gateway shows the history to them only.
    clubs: set[UUID] = set()
    if ctx.ownership is not None:
        async with ctx.pool.acquire() as conn:
            found = await ctx.ownership.clubs_of(conn, [(PERSON, q.person_id)])
        clubs = found.get((PERSON, q.person_id), set())
    return {
        "screenings": _rows(await ctx.pool.fetch(_HISTORY, q.person_id)),
        "clubs": sorted(str(club) for club in clubs),
        "stale": not fresh,
    }
