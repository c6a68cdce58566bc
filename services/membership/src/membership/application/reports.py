"""Composition vs the soft targets, and meeting attendance rates."""

from __future__ import annotations

from typing import Any

from ishc_contracts import QueryEnvelope
from ishc_contracts.membership.queries import ClubComposition, MeetingAttendance
from ishc_runtime.privacy import as_date, reveal
from ishc_runtime.service import ServiceContext
from membership.application.queries import POVERTY_ON
from membership.application.reading import fresh, reporting_date
from membership.application.routes import routes
from membership.domain import rules

ACTIVE_ON = f"""
SELECT r.sex, r.birth_date,
       {POVERTY_ON.format(table="membership_composition_households")} AS poverty_status
FROM membership_composition_members r
WHERE r.club_id = $1 AND r.joined_on <= $2 AND (r.left_on IS NULL OR r.left_on > $2)
"""


@routes.query(ClubComposition)
async def club_composition(
    ctx: ServiceContext, env: QueryEnvelope, q: ClubComposition
) -> dict[str, Any]:
    is_fresh = await fresh(ctx, env, "membership_composition", f"club-{q.club_id}")
    as_of = reporting_date(ctx, q.as_of)
    targets = rules.composition_targets(as_of)
    # Birth dates are stored sealed: opened here, ages computed from them.
    rows = await reveal(
        ctx.store.privacy, await ctx.pool.fetch(ACTIVE_ON, q.club_id, as_of), "birth_date"
    )
    size = len(rows)
    women = sum(1 for r in rows if r["sex"] == "female")
    births = [born for r in rows if (born := as_date(r["birth_date"])) is not None]
    ages = [rules.age_on(born, as_of) for born in births]
    older = sum(1 for age in ages if age >= targets.older_age)
    poor = sum(1 for r in rows if r["poverty_status"] in ("poor", "near_poor"))
    women_share = women / size if size else 0.0
    older_share = older / size if size else 0.0
    checks = {
        "size": (size, targets.min_members, targets.max_members),
        "women_share": (women_share, targets.min_women_share, targets.max_women_share),
        "older_share": (older_share, targets.min_older_share, targets.max_older_share),
    }
    # Soft targets (domain A1): out of range is reported, it never blocked an admission.
    out_of_range = [
        {"measure": name, "value": value, "min": low, "max": high}
        for name, (value, low, high) in checks.items()
        if not low <= value <= high
    ]
    return {
        "club_id": q.club_id,
        "as_of": as_of,
        "members": size,
        "women": women,
        "older": older,
        "birth_date_unknown": size - len(ages),
        "poor_or_near_poor": poor,
        "women_share": round(women_share, 4),
        "older_share": round(older_share, 4),
        "targets": {name: {"min": low, "max": high} for name, (_, low, high) in checks.items()},
        "out_of_range": out_of_range,
        "in_range": not out_of_range,
        "stale": not is_fresh,
    }


MEETINGS = """
SELECT m.meeting_id, m.held_on, m.kind, m.guests,
  (SELECT count(*) FROM membership_attendance_marks a
    WHERE a.meeting_id = m.meeting_id AND a.mark = 'present') AS present,
  (SELECT count(*) FROM membership_attendance_marks a
    WHERE a.meeting_id = m.meeting_id AND a.mark = 'excused') AS excused,
  (SELECT count(*) FROM membership_attendance_members r
    WHERE r.club_id = m.club_id AND r.joined_on <= m.held_on
      AND (r.left_on IS NULL OR r.left_on > m.held_on)) AS expected
FROM membership_attendance_meetings m WHERE m.club_id = $1 ORDER BY m.held_on, m.meeting_id
"""

MEMBER_RATES = """
SELECT r.member_id,
  count(m.meeting_id) AS expected,
  count(a.member_id) FILTER (WHERE a.mark = 'present') AS attended
FROM membership_attendance_members r
LEFT JOIN membership_attendance_meetings m
  ON m.club_id = r.club_id AND m.held_on >= r.joined_on
 AND (r.left_on IS NULL OR m.held_on < r.left_on)
LEFT JOIN membership_attendance_marks a
  ON a.meeting_id = m.meeting_id AND a.member_id = r.member_id
WHERE r.club_id = $1
GROUP BY r.member_id ORDER BY r.member_id
"""


@routes.query(MeetingAttendance)
async def meeting_attendance(
    ctx: ServiceContext, env: QueryEnvelope, q: MeetingAttendance
) -> dict[str, Any]:
    is_fresh = await fresh(ctx, env, "membership_attendance", f"club-{q.club_id}")
    meetings = [
        {**dict(m), "rate": _rate(m["present"], m["expected"])}
        for m in await ctx.pool.fetch(MEETINGS, q.club_id)
    ]
    members = [
        {**dict(r), "rate": _rate(r["attended"], r["expected"])}
        for r in await ctx.pool.fetch(MEMBER_RATES, q.club_id)
    ]
    decisions = await ctx.pool.fetch(
        "SELECT decision_id, meeting_id, kind, summary, member_id, subject_id, amount"
        " FROM membership_attendance_decisions WHERE club_id = $1 ORDER BY meeting_id, decision_id",
        q.club_id,
    )
    return {
        "club_id": q.club_id,
        "meetings": meetings,
        "members": members,
        "decisions": [dict(d) for d in decisions],
        "stale": not is_fresh,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
