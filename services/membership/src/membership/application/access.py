"""The access audit of a person (ADR 0053): the national admin's query and the data subject's
access report, from `access_audit` (projected from the gateway's records)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from ishc_contracts import QueryEnvelope
from ishc_contracts.audit import AccessReport
from ishc_contracts.vietnam import VN_TZ
from ishc_runtime.service import ServiceContext
from membership.application.routes import routes

# A person is shown under their person id, or a member id of one of their memberships.
READS = """
SELECT access_id, read_at, principal_id, role, route, purpose, field_names, categories,
       correlation_id
FROM access_audit
WHERE subject_ids && $1::uuid[]
  AND ($2::timestamptz IS NULL OR read_at >= $2)
  AND ($3::timestamptz IS NULL OR read_at < $3)
ORDER BY read_at DESC, access_id
LIMIT $4
"""


@routes.query(AccessReport)
async def access_report(ctx: ServiceContext, env: QueryEnvelope, q: AccessReport) -> dict[str, Any]:
    members = await ctx.pool.fetch(
        "SELECT member_id FROM membership_people_memberships WHERE person_id = $1", q.person_id
    )
    ids = [q.person_id, *(m["member_id"] for m in members)]
    # Days are Viet Nam days: `until` includes its whole day.
    since = datetime.combine(q.since, time(), VN_TZ) if q.since else None
    until = datetime.combine(q.until + timedelta(days=1), time(), VN_TZ) if q.until else None
    rows = await ctx.pool.fetch(READS, ids, since, until, q.limit + 1)
    reads = [
        {
            **dict(r),
            "field_names": list(r["field_names"]),
            "categories": list(r["categories"]),
        }
        for r in rows[: q.limit]
    ]
    # Operators who revealed this store's sealed fields of the person (`--reveal`).
    reveals = await ctx.pool.fetch(
        "SELECT revealed_at, operator, target FROM privacy_reveals"
        " WHERE person_id = ANY($1::uuid[])"
        " AND ($2::timestamptz IS NULL OR revealed_at >= $2)"
        " AND ($3::timestamptz IS NULL OR revealed_at < $3)"
        " ORDER BY revealed_at DESC LIMIT $4",
        ids,
        since,
        until,
        q.limit,
    )
    # Other services handed this person's data keys under their grants (processing, not a
    # disclosure to a person: listed apart). A row per reader, stream and category.
    grants = await ctx.pool.fetch(
        "SELECT reader, category, subject, first_served_at, last_served_at, times"
        " FROM privacy_grants_served WHERE person_id = ANY($1::uuid[])"
        " AND ($2::timestamptz IS NULL OR last_served_at >= $2)"
        " AND ($3::timestamptz IS NULL OR first_served_at < $3)"
        " ORDER BY last_served_at DESC, reader, subject, category LIMIT $4",
        ids,
        since,
        until,
        q.limit,
    )
    return {
        "person_id": q.person_id,
        "subject_ids": ids,
        "reads": reads,
        "truncated": len(rows) > q.limit,
        "operator_reveals": [dict(r) for r in reveals],
        "service_grants": [dict(r) for r in grants],
    }
