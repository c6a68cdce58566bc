"""`care_cases`: cases, their visits and closed weeks, from care's own stream.

Rows carry the case stream's version (`care_cases.version`) so a query can wait for a
command's write (read-your-writes). Week states (met, missed, met late) are events, not
recomputed here: `WeeklyVisitTargetMetLate` flips a closed miss to a hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_contracts.care import weeks
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
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.privacy import keep
from ishc_runtime.projections import Projection, Write, update_entity

TABLES = ["care_cases", "care_visits", "care_weeks"]

# Every handler is a pure writer: the runner sends a run of the same statement together.
# A visit or a closed week also stamps the case row with the stream version it reflects, in
# the same statement (a data-modifying CTE); and visits and weeks share ONE statement (the
# columns of the other left NULL): the scheduler closes last week on the Monday clubs record
# this week's visits, so the stream alternates visit, week, visit, ... across cases, and two
# statements would cut every run to one row.
#
# $1 visit (NULL for a week), $2 case, $3 club, $4 volunteers as an array literal (text: a
# fold passes one per row, and arrays of arrays must be rectangular), $5 day, $6 ISO week,
# $7 status, $8 visits required, $9 visits done, $10 met, $11 week's Monday, $12 version.
# A visit or week recorded again changes nothing.
_VISIT_OR_WEEK = (
    "WITH visit AS (INSERT INTO care_visits (visit_id, case_id, club_id, volunteer_ids,"
    " visited_on, iso_week, status) SELECT $1::uuid, $2::uuid, $3::uuid, $4::text::uuid[],"
    " $5::date, $6::text, $7::text WHERE $1::uuid IS NOT NULL ON CONFLICT (visit_id) DO NOTHING),"
    " week AS (INSERT INTO care_weeks (case_id, iso_week, club_id, week_starts_on, required,"
    " done, met) SELECT $2::uuid, $6::text, $3::uuid, $11::date, $8::int, $9::int, $10::bool"
    " WHERE $1::uuid IS NULL ON CONFLICT (case_id, iso_week) DO NOTHING)"
    " UPDATE care_cases SET version = $12::int WHERE case_id = $2::uuid"
)
# A run of them at once (Write.fold): the first of a key wins, as in order; each case ends
# at the highest (the last) version of the run.
_VISITS_AND_WEEKS = (
    "WITH u AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::date[],"
    " $6::text[], $7::text[], $8::int[], $9::int[], $10::bool[], $11::date[], $12::int[])"
    " AS u(visit_id, case_id, club_id, volunteer_ids, visited_on, iso_week, status, required,"
    " done, met, week_starts_on, version)),"
    " visit AS (INSERT INTO care_visits (visit_id, case_id, club_id, volunteer_ids, visited_on,"
    " iso_week, status) SELECT visit_id, case_id, club_id, volunteer_ids::uuid[], visited_on,"
    " iso_week, status FROM u WHERE visit_id IS NOT NULL ON CONFLICT (visit_id) DO NOTHING),"
    " week AS (INSERT INTO care_weeks (case_id, iso_week, club_id, week_starts_on, required,"
    " done, met) SELECT case_id, iso_week, club_id, week_starts_on, required, done, met FROM u"
    " WHERE visit_id IS NULL ON CONFLICT (case_id, iso_week) DO NOTHING)"
    " UPDATE care_cases c SET version = v.version FROM (SELECT case_id, max(version) AS version"
    " FROM u GROUP BY case_id) v WHERE c.case_id = v.case_id"
)
# A merge names its target even when the visit was recorded already (rare: not folded).
_MERGED = (
    "WITH visit AS (INSERT INTO care_visits (visit_id, case_id, club_id, visited_on, iso_week,"
    " status, merged_into) VALUES ($1, $2, $3, $4, $5, 'merged', $6)"
    " ON CONFLICT (visit_id) DO UPDATE SET merged_into = excluded.merged_into)"
    " UPDATE care_cases SET version = $7 WHERE case_id = $2"
)
_MET_LATE = (
    "WITH week AS (UPDATE care_weeks SET met = true, met_late = true, done = $3"
    " WHERE case_id = $1 AND iso_week = $2)"
    " UPDATE care_cases SET version = $4 WHERE case_id = $1"
)


# A suspension or closing keyed in late takes a judged week out of care: it is not counted.
_WITHDRAWN = (
    "WITH week AS (DELETE FROM care_weeks WHERE case_id = $1 AND iso_week = $2)"
    " UPDATE care_cases SET version = $3 WHERE case_id = $1"
)


def _case(env: EventEnvelope, sets: str, *args: Any) -> list[Write]:
    """Update the stream's case row and stamp the stream version it reflects ($1 case,
    $2 version, the event's values from $3)."""
    return [update_entity(env, "care_cases", "case_id", sets, *args)]


def _visit(
    env: EventEnvelope,
    visit_id: UUID,
    case_id: UUID,
    club_id: UUID,
    volunteers: Sequence[UUID],
    on: date,
    status: str,
) -> list[Write]:
    volunteer_ids = "{" + ",".join(str(v) for v in volunteers) + "}"
    args = (
        visit_id, case_id, club_id, volunteer_ids, on, weeks.label_of(on), status,
        None, None, None, None, env.version,
    )  # fmt: skip
    return [Write(_VISIT_OR_WEEK, args, fold=_VISITS_AND_WEEKS)]


def _week(
    env: EventEnvelope, e: WeeklyVisitTargetMet | WeeklyVisitTargetMissed, *, met: bool
) -> list[Write]:
    args = (
        None, e.case_id, e.club_id, None, None, e.iso_week, None,
        e.visits_required, e.visits_done, met, e.week_starts_on, env.version,
    )  # fmt: skip
    return [Write(_VISIT_OR_WEEK, args, fold=_VISITS_AND_WEEKS)]


def cases_projection() -> Projection:
    projection = Projection(
        name="care_cases",
        sources=["care"],
        policy="park",
        tables=TABLES,
        # Every write finds its row by primary key: these serve the queries only.
        deferred_indexes=(
            "care_cases_club",
            "care_visits_week",
            "care_visits_club_week",
            "care_weeks_club",
        ),
    )
    writes = projection.writes

    # The name is kept as the event's ciphertext; nothing sensitive is read in clear.
    @writes(CareReferralReceived, opens=())
    def referred(env: EventEnvelope, e: CareReferralReceived) -> list[Write]:
        sql = (
            "INSERT INTO care_cases (case_id, club_id, person_id, member_id, full_name, status,"
            " referred_on, version) VALUES ($1, $2, $3, $4, $5, 'referred', $6, $7)"
            " ON CONFLICT (case_id) DO NOTHING"
        )
        args = (
            e.case_id, e.club_id, e.person_id, e.member_id, keep(env, "full_name"),
            e.referred_on, env.version,
        )  # fmt: skip
        return [Write(sql, args)]

    @writes(NeedsAssessed, opens=())
    def assessed(env: EventEnvelope, e: NeedsAssessed) -> list[Write]:
        return _case(env, "status = CASE WHEN status = 'referred' THEN 'assessed' ELSE status END")

    @writes(CarePlanOpened, opens=())
    def planned(env: EventEnvelope, e: CarePlanOpened) -> list[Write]:
        return _case(
            env, "plan_id = $3, visits_per_week = $4, starts_on = $5",
            e.plan_id, e.visits_per_week, e.starts_on,
        )  # fmt: skip

    @writes(VolunteersAssigned)
    def assigned(env: EventEnvelope, e: VolunteersAssigned) -> list[Write]:
        return _case(
            env,
            "volunteer_ids = $3, reassignment_needed = false,"
            " status = CASE WHEN status = 'assessed' THEN 'active' ELSE status END",
            list(e.volunteer_ids),
        )  # fmt: skip

    @writes(VolunteerReassignmentNeeded)
    def reassign(env: EventEnvelope, e: VolunteerReassignmentNeeded) -> list[Write]:
        return _case(
            env, "volunteer_ids = $3, reassignment_needed = true",
            list(e.remaining_volunteer_ids),
        )  # fmt: skip

    @writes(VisitCompleted, opens=())
    def done(env: EventEnvelope, e: VisitCompleted) -> list[Write]:
        return _visit(env, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.visited_on, "done")

    @writes(VisitMerged)
    def merged(env: EventEnvelope, e: VisitMerged) -> list[Write]:
        args = (
            e.visit_id, e.case_id, e.club_id, e.visited_on, weeks.label_of(e.visited_on),
            e.merged_into, env.version,
        )  # fmt: skip
        return [Write(_MERGED, args)]

    @writes(VisitMissed)
    def missed(env: EventEnvelope, e: VisitMissed) -> list[Write]:
        return _visit(env, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.due_on, "missed")

    @writes(WeeklyVerdictWithdrawn)
    def withdrawn(env: EventEnvelope, e: WeeklyVerdictWithdrawn) -> list[Write]:
        return [Write(_WITHDRAWN, (e.case_id, e.iso_week, env.version))]

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
        return _case(env, "escalations = escalations + 1")

    @writes(CareSuspended)
    def suspended(env: EventEnvelope, e: CareSuspended) -> list[Write]:
        return _case(env, "status = 'suspended'")

    @writes(CareResumed)
    def resumed(env: EventEnvelope, e: CareResumed) -> list[Write]:
        return _case(env, "status = 'active'")

    @writes(CareCaseClosed, opens=())
    def closed(env: EventEnvelope, e: CareCaseClosed) -> list[Write]:
        return _case(
            env, "status = 'closed', closed_on = $3, closed_reason = $4",
            e.closed_on, e.reason,
        )  # fmt: skip

    return projection
