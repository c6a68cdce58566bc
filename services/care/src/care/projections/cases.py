"""`care_cases`: cases, their visits and closed weeks, from care's own stream.

Rows carry the case stream's version (`care_cases.version`) so a query can wait for a
command's write (read-your-writes). Week states (met, missed, met late) are events, not
recomputed here: `WeeklyVisitTargetMetLate` flips a closed miss to a hit.
"""

from __future__ import annotations

from typing import Any

from care.domain import weeks
from ishc_contracts import EventEnvelope
from ishc_contracts.care.events import (
    CareCaseClosed,
    CarePlanOpened,
    CareReferralReceived,
    CareResumed,
    CareSuspended,
    CaseEscalated,
    NeedsAssessed,
    VisitCompleted,
    VisitMerged,
    VisitMissed,
    VolunteerReassignmentNeeded,
    VolunteersAssigned,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.privacy import protect
from ishc_runtime.projections import Projection, Write

TABLES = ["care_cases", "care_visits", "care_weeks"]

# Every handler is a pure writer (the runner sends a run of the same statement as one
# `executemany`). A visit or week also stamps the case row with the stream version it
# reflects; both go in ONE statement (a data-modifying CTE), so that a run of visits is a run
# of identical SQL: two statements per event would alternate and defeat the batching.

# $1 visit, $2 case, ..., $8 merged_into (NULL unless merged), $9 the case stream's version.
# A merge names its target even when the visit was recorded already (as the former separate
# UPDATE did); a done or missed visit recorded again changes nothing.
_VISIT = (
    "WITH visit AS (INSERT INTO care_visits (visit_id, case_id, club_id, volunteer_ids,"
    " visited_on, iso_week, status, merged_into) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (visit_id) DO UPDATE SET merged_into = excluded.merged_into"
    " WHERE excluded.merged_into IS NOT NULL)"
    " UPDATE care_cases SET version = $9 WHERE case_id = $2"
)
_WEEK = (
    "WITH week AS (INSERT INTO care_weeks (case_id, iso_week, club_id, week_starts_on,"
    " required, done, met) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (case_id, iso_week) DO NOTHING)"
    " UPDATE care_cases SET version = $8 WHERE case_id = $1"
)
_MET_LATE = (
    "WITH week AS (UPDATE care_weeks SET met = true, met_late = true, done = $3"
    " WHERE case_id = $1 AND iso_week = $2)"
    " UPDATE care_cases SET version = $4 WHERE case_id = $1"
)


def _case(env: EventEnvelope, sets: str, case_id: Any, *args: Any) -> list[Write]:
    """Update one case row and stamp the stream version it reflects ($1 case, $2 version,
    the event's values from $3)."""
    sql = f"UPDATE care_cases SET {sets}, version = $2 WHERE case_id = $1"
    return [Write(sql, (case_id, env.version, *args))]


def _visit(
    env: EventEnvelope,
    visit_id: Any,
    case_id: Any,
    club_id: Any,
    volunteers: Any,
    on: Any,
    status: str,
    merged_into: Any = None,
) -> list[Write]:
    args = (
        visit_id, case_id, club_id, list(volunteers), on, weeks.label_of(on), status, merged_into,
        env.version,
    )  # fmt: skip
    return [Write(_VISIT, args)]


def _week(env: EventEnvelope, e: Any, *, met: bool) -> list[Write]:
    args = (
        e.case_id, e.iso_week, e.club_id, e.week_starts_on, e.visits_required, e.visits_done, met,
        env.version,
    )  # fmt: skip
    return [Write(_WEEK, args)]


def cases_projection() -> Projection:
    projection = Projection(name="care_cases", sources=["care"], policy="park", tables=TABLES)
    writes = projection.writes

    @writes(CareReferralReceived)
    def referred(env: EventEnvelope, e: CareReferralReceived) -> list[Write]:
        sql = (
            "INSERT INTO care_cases (case_id, club_id, person_id, member_id, full_name, status,"
            " referred_on, version) VALUES ($1, $2, $3, $4, $5, 'referred', $6, $7)"
            " ON CONFLICT (case_id) DO NOTHING"
        )
        args = (
            e.case_id, e.club_id, e.person_id, e.member_id, protect(env, "full_name", e.full_name),
            e.referred_on, env.version,
        )  # fmt: skip
        return [Write(sql, args)]

    @writes(NeedsAssessed)
    def assessed(env: EventEnvelope, e: NeedsAssessed) -> list[Write]:
        return _case(
            env, "status = CASE WHEN status = 'referred' THEN 'assessed' ELSE status END", e.case_id
        )

    @writes(CarePlanOpened)
    def planned(env: EventEnvelope, e: CarePlanOpened) -> list[Write]:
        return _case(
            env, "plan_id = $3, visits_per_week = $4, starts_on = $5",
            e.case_id, e.plan_id, e.visits_per_week, e.starts_on,
        )  # fmt: skip

    @writes(VolunteersAssigned)
    def assigned(env: EventEnvelope, e: VolunteersAssigned) -> list[Write]:
        return _case(
            env,
            "volunteer_ids = $3, reassignment_needed = false,"
            " status = CASE WHEN status = 'assessed' THEN 'active' ELSE status END",
            e.case_id, list(e.volunteer_ids),
        )  # fmt: skip

    @writes(VolunteerReassignmentNeeded)
    def reassign(env: EventEnvelope, e: VolunteerReassignmentNeeded) -> list[Write]:
        return _case(
            env, "volunteer_ids = $3, reassignment_needed = true",
            e.case_id, list(e.remaining_volunteer_ids),
        )  # fmt: skip

    @writes(VisitCompleted)
    def done(env: EventEnvelope, e: VisitCompleted) -> list[Write]:
        return _visit(env, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.visited_on, "done")

    @writes(VisitMerged)
    def merged(env: EventEnvelope, e: VisitMerged) -> list[Write]:
        return _visit(
            env, e.visit_id, e.case_id, e.club_id, (), e.visited_on, "merged", e.merged_into
        )

    @writes(VisitMissed)
    def missed(env: EventEnvelope, e: VisitMissed) -> list[Write]:
        return _visit(env, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.due_on, "missed")

    @writes(WeeklyVisitTargetMet)
    def week_met(env: EventEnvelope, e: WeeklyVisitTargetMet) -> list[Write]:
        return _week(env, e, met=True)

    @writes(WeeklyVisitTargetMissed)
    def week_missed(env: EventEnvelope, e: WeeklyVisitTargetMissed) -> list[Write]:
        return _week(env, e, met=False)

    @writes(WeeklyVisitTargetMetLate)
    def met_late(env: EventEnvelope, e: WeeklyVisitTargetMetLate) -> list[Write]:
        return [Write(_MET_LATE, (e.case_id, e.iso_week, e.visits_done, env.version))]

    @writes(CaseEscalated)
    def escalated(env: EventEnvelope, e: CaseEscalated) -> list[Write]:
        return _case(env, "escalations = escalations + 1", e.case_id)

    @writes(CareSuspended)
    def suspended(env: EventEnvelope, e: CareSuspended) -> list[Write]:
        return _case(env, "status = 'suspended'", e.case_id)

    @writes(CareResumed)
    def resumed(env: EventEnvelope, e: CareResumed) -> list[Write]:
        return _case(env, "status = 'active'", e.case_id)

    @writes(CareCaseClosed)
    def closed(env: EventEnvelope, e: CareCaseClosed) -> list[Write]:
        return _case(
            env, "status = 'closed', closed_on = $3, closed_reason = $4",
            e.case_id, e.closed_on, e.reason,
        )  # fmt: skip

    return projection
