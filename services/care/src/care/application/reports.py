"""Reporting queries: club compliance, home care at least twice a week, check-up coverage."""

from __future__ import annotations

from datetime import date
from typing import Any

from care.application.routes import routes
from care.domain import rules, weeks
from ishc_contracts import QueryEnvelope
from ishc_contracts.care.queries import CheckupCoverage, ClubCompliance, HomeCareReport
from ishc_runtime.periods import THURSDAY, calendar_period
from ishc_runtime.privacy import as_date, reveal
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import reflects

Result = dict[str, Any]


@routes.query(ClubCompliance)
async def club_compliance(ctx: ServiceContext, env: QueryEnvelope, query: ClubCompliance) -> Result:
    """Share of closed recipient-weeks that met the target (late hits count as met). A
    period takes the weeks whose Thursday lies in it (docs/periods.md)."""
    fresh = await reflects(ctx, env, ["care_cases"])
    start, end = calendar_period(query.period) if query.period else (None, None)
    row = await ctx.pool.fetchrow(
        "SELECT count(*) AS weeks, count(*) FILTER (WHERE met) AS met,"
        " count(*) FILTER (WHERE met_late) AS met_late FROM care_weeks"
        " WHERE club_id = $1 AND ($2::text IS NULL OR iso_week >= $2)"
        " AND ($3::text IS NULL OR iso_week <= $3)"
        " AND ($4::date IS NULL OR week_starts_on + $6::int BETWEEN $4 AND $5)",
        query.club_id,
        query.from_week,
        query.to_week,
        start,
        end,
        THURSDAY - 1,
    )
    assert row is not None  # an aggregate always returns a row
    total, met = row["weeks"], row["met"]
    return {
        "club_id": query.club_id,
        "period": query.period,
        "recipient_weeks": total,
        "met": met,
        "met_late": row["met_late"],
        "compliance": round(met / total, 4) if total else None,
        "stale": not fresh,
    }


@routes.query(HomeCareReport)
async def home_care_report(
    ctx: ServiceContext, env: QueryEnvelope, query: HomeCareReport
) -> Result:
    """People who received at least two counted visits in the ISO week (merged duplicates and
    missed visits do not count), over one club or all of them."""
    monday = weeks.monday(query.iso_year, query.iso_week)
    label = weeks.label(query.iso_year, query.iso_week)
    fresh = await reflects(ctx, env, ["care_cases"])
    count = await ctx.pool.fetchval(
        "SELECT count(*) FROM (SELECT c.person_id FROM care_visits v"
        " JOIN care_cases c USING (case_id) WHERE v.iso_week = $1 AND v.status = 'done'"
        " AND ($2::uuid IS NULL OR v.club_id = $2)"
        " GROUP BY c.person_id HAVING count(*) >= 2) AS twice",
        label,
        query.club_id,
    )
    return {
        "iso_week": label,
        "week_starts_on": monday,
        "people_visited_twice_or_more": count,
        "stale": not fresh,
    }


@routes.query(CheckupCoverage)
async def checkup_coverage(
    ctx: ServiceContext, env: QueryEnvelope, query: CheckupCoverage
) -> Result:
    """Active members who are 60 or more at some point in `year` (born in year - 60 or
    earlier), and which of them have no health check recorded that calendar year."""
    born_by = date(query.year - rules.CHECKUP_AGE, 12, 31)
    fresh = await reflects(ctx, env, ["care_checkups"])
    rows = await ctx.pool.fetch(
        "SELECT m.member_id, m.person_id, m.full_name, m.birth_date,"
        " EXISTS (SELECT 1 FROM care_health_checks h WHERE h.person_id = m.person_id"
        "  AND h.checked_on BETWEEN $2 AND $3) AS checked"
        " FROM care_members m WHERE m.club_id = $1 AND m.active ORDER BY m.member_id",
        query.club_id,
        date(query.year, 1, 1),
        date(query.year, 12, 31),
    )
    # Names and birth dates are stored sealed: opened here, then the members aged 60 that
    # year are chosen and sorted (the table only holds ciphertexts).
    opened = await reveal(ctx.store.privacy, rows, "full_name", "birth_date")
    members = [
        row
        for row in opened
        if (born := as_date(row["birth_date"])) is not None and born <= born_by
    ]
    members.sort(key=lambda row: (row["full_name"], row["member_id"]))
    eligible = len(members)
    checked = sum(1 for r in members if r["checked"])
    return {
        "year": query.year,
        "members_60_plus": eligible,
        "checked": checked,
        "coverage": round(checked / eligible, 4) if eligible else None,
        "without_check": [
            {"member_id": r["member_id"], "person_id": r["person_id"], "full_name": r["full_name"]}
            for r in members
            if not r["checked"]
        ],
        "stale": not fresh,
    }
