"""Queries over the care read models: a case, this week's board, volunteer workload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from care.application.routes import routes
from care.domain import slots, weeks
from ishc_contracts import QueryEnvelope
from ishc_contracts.care.queries import CaseDetail, VolunteerWorkload, WeekBoard
from ishc_contracts.errors import NotFound
from ishc_runtime.clock import vn_date
from ishc_runtime.privacy import reveal
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import reflects

Result = dict[str, Any]


# The read models a token is checked against (ishc_runtime.service.consistency.reflects).
CASES = ["care_cases"]


@routes.query(CaseDetail)
async def case_detail(ctx: ServiceContext, env: QueryEnvelope, query: CaseDetail) -> Result:
    fresh = await reflects(ctx, env, CASES, default_stream=f"case-{query.case_id}")
    row = await ctx.pool.fetchrow("SELECT * FROM care_cases WHERE case_id = $1", query.case_id)
    if row is None:
        raise NotFound(f"no care case {query.case_id}", field="case_id")
    visits = await ctx.pool.fetch(
        "SELECT visit_id, visited_on, iso_week, status, merged_into, volunteer_ids"
        " FROM care_visits WHERE case_id = $1 ORDER BY visited_on, visit_id",
        query.case_id,
    )
    closed_weeks = await ctx.pool.fetch(
        "SELECT iso_week, required, done, met, met_late FROM care_weeks WHERE case_id = $1"
        " ORDER BY iso_week",
        query.case_id,
    )
    return {
        **dict(row),
        "visits": [dict(v) for v in visits],
        "weeks": [dict(w) for w in closed_weeks],
        "stale": not fresh,
    }


@routes.query(WeekBoard)
async def week_board(ctx: ServiceContext, env: QueryEnvelope, query: WeekBoard) -> Result:
    """Active and suspended recipients of a club with this week's slots. A consistency token
    for a case (`case-<id>@<version>`) makes the board wait until that case has caught up."""
    fresh = await reflects(ctx, env, CASES)
    today = vn_date(ctx.clock.now())
    day = query.on or today
    year, week = weeks.week_of(day)
    monday, label = weeks.monday(year, week), weeks.label(year, week)
    rows = await ctx.pool.fetch(
        "SELECT c.case_id, c.person_id, c.full_name, c.status, c.visits_per_week,"
        " c.volunteer_ids, c.reassignment_needed, c.escalations,"
        " (SELECT count(*) FROM care_visits v WHERE v.case_id = c.case_id AND v.iso_week = $2"
        "  AND v.status = 'done') AS done,"
        " w.met AS week_met"
        " FROM care_cases c LEFT JOIN care_weeks w ON w.case_id = c.case_id AND w.iso_week = $2"
        " WHERE c.club_id = $1 AND c.status IN ('active', 'suspended') ORDER BY c.case_id",
        query.club_id,
        label,
    )
    # Names are stored sealed: opened here, then sorted (the table orders ciphertexts).
    opened = await reveal(ctx.store.privacy, rows, "full_name")
    opened.sort(key=lambda row: (row["full_name"], str(row["case_id"])))
    recipients = []
    for row in opened:
        required = row["visits_per_week"] or 0
        states = slots.slot_states(monday, required, row["done"], today) if required else []
        if row["status"] == "suspended":
            states = []
        recipients.append({**row, "slots": states})
    return {
        "iso_week": label,
        "week_starts_on": monday,
        "today": today,
        "recipients": recipients,
        "stale": not fresh,
    }


@routes.query(VolunteerWorkload)
async def volunteer_workload(
    ctx: ServiceContext, env: QueryEnvelope, query: VolunteerWorkload
) -> Result:
    """Per volunteer: open cases assigned, visits done this week and in the last four weeks."""
    day = query.on or vn_date(ctx.clock.now())
    label = weeks.label_of(day)
    since = weeks.monday(*weeks.week_of(day)) - timedelta(days=21)
    fresh = await reflects(ctx, env, CASES)
    rows = await ctx.pool.fetch(
        "WITH assigned AS ("
        "  SELECT unnest(volunteer_ids) AS volunteer_id, case_id FROM care_cases"
        "  WHERE club_id = $1 AND status IN ('active', 'suspended')),"
        " visited AS ("
        "  SELECT unnest(volunteer_ids) AS volunteer_id, iso_week, visited_on FROM care_visits"
        "  WHERE club_id = $1 AND status = 'done' AND visited_on >= $3)"
        " SELECT volunteer_id,"
        "  (SELECT count(*) FROM assigned a WHERE a.volunteer_id = ids.volunteer_id) AS cases,"
        "  (SELECT count(*) FROM visited v WHERE v.volunteer_id = ids.volunteer_id"
        "   AND v.iso_week = $2) AS visits_this_week,"
        "  (SELECT count(*) FROM visited v WHERE v.volunteer_id = ids.volunteer_id)"
        "   AS visits_last_4_weeks"
        " FROM (SELECT volunteer_id FROM assigned UNION SELECT volunteer_id FROM visited) ids"
        " ORDER BY cases DESC, volunteer_id",
        query.club_id,
        label,
        since,
    )
    return {"iso_week": label, "volunteers": [dict(r) for r in rows], "stale": not fresh}
