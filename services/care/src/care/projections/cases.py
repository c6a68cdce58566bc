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
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.privacy import protect
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection

TABLES = ["care_cases", "care_visits", "care_weeks"]


async def _case(conn: Connection, env: EventEnvelope, sets: str, *args: Any) -> None:
    """Update one case row and stamp the stream version it reflects."""
    await conn.execute(
        f"UPDATE care_cases SET {sets}, version = $2 WHERE case_id = $1",
        *args[:1],
        env.version,
        *args[1:],
    )


async def _touch(conn: Connection, env: EventEnvelope, case_id: Any) -> None:
    """A visit or week changed the case stream: the row now reflects that version."""
    await conn.execute(
        "UPDATE care_cases SET version = $2 WHERE case_id = $1", case_id, env.version
    )


def cases_projection() -> Projection:
    projection = Projection(name="care_cases", sources=["care"], policy="park", tables=TABLES)
    on = projection.on

    @on(CareReferralReceived)
    async def referred(conn: Connection, env: EventEnvelope, e: CareReferralReceived) -> None:
        await conn.execute(
            "INSERT INTO care_cases (case_id, club_id, person_id, member_id, full_name, status,"
            " referred_on, version) VALUES ($1, $2, $3, $4, $5, 'referred', $6, $7)"
            " ON CONFLICT (case_id) DO NOTHING",
            e.case_id, e.club_id, e.person_id, e.member_id, protect(env, "full_name", e.full_name),
            e.referred_on,
            env.version,
        )  # fmt: skip

    @on(NeedsAssessed)
    async def assessed(conn: Connection, env: EventEnvelope, e: NeedsAssessed) -> None:
        await _case(
            conn, env,
            "status = CASE WHEN status = 'referred' THEN 'assessed' ELSE status END", e.case_id,
        )  # fmt: skip

    @on(CarePlanOpened)
    async def planned(conn: Connection, env: EventEnvelope, e: CarePlanOpened) -> None:
        await _case(
            conn, env, "plan_id = $3, visits_per_week = $4, starts_on = $5",
            e.case_id, e.plan_id, e.visits_per_week, e.starts_on,
        )  # fmt: skip

    @on(VolunteersAssigned)
    async def assigned(conn: Connection, env: EventEnvelope, e: VolunteersAssigned) -> None:
        await _case(
            conn, env,
            "volunteer_ids = $3, reassignment_needed = false,"
            " status = CASE WHEN status = 'assessed' THEN 'active' ELSE status END",
            e.case_id, list(e.volunteer_ids),
        )  # fmt: skip

    @on(VolunteerReassignmentNeeded)
    async def reassign(
        conn: Connection, env: EventEnvelope, e: VolunteerReassignmentNeeded
    ) -> None:
        await _case(
            conn, env, "volunteer_ids = $3, reassignment_needed = true",
            e.case_id, list(e.remaining_volunteer_ids),
        )  # fmt: skip

    @on(VisitCompleted)
    async def done(conn: Connection, env: EventEnvelope, e: VisitCompleted) -> None:
        await _visit(conn, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.visited_on, "done")
        await _touch(conn, env, e.case_id)

    @on(VisitMerged)
    async def merged(conn: Connection, env: EventEnvelope, e: VisitMerged) -> None:
        await _visit(conn, e.visit_id, e.case_id, e.club_id, (), e.visited_on, "merged")
        await conn.execute(
            "UPDATE care_visits SET merged_into = $2 WHERE visit_id = $1", e.visit_id, e.merged_into
        )
        await _touch(conn, env, e.case_id)

    @on(VisitMissed)
    async def missed(conn: Connection, env: EventEnvelope, e: VisitMissed) -> None:
        await _visit(conn, e.visit_id, e.case_id, e.club_id, e.volunteer_ids, e.due_on, "missed")
        await _touch(conn, env, e.case_id)

    @on(WeeklyVisitTargetMet)
    async def week_met(conn: Connection, env: EventEnvelope, e: WeeklyVisitTargetMet) -> None:
        await _week(conn, e.case_id, e.iso_week, e.club_id, e.week_starts_on, e, met=True)
        await _touch(conn, env, e.case_id)

    @on(WeeklyVisitTargetMissed)
    async def week_missed(conn: Connection, env: EventEnvelope, e: WeeklyVisitTargetMissed) -> None:
        await _week(conn, e.case_id, e.iso_week, e.club_id, e.week_starts_on, e, met=False)
        await _touch(conn, env, e.case_id)

    @on(WeeklyVisitTargetMetLate)
    async def met_late(conn: Connection, env: EventEnvelope, e: WeeklyVisitTargetMetLate) -> None:
        await conn.execute(
            "UPDATE care_weeks SET met = true, met_late = true, done = $3"
            " WHERE case_id = $1 AND iso_week = $2",
            e.case_id, e.iso_week, e.visits_done,
        )  # fmt: skip
        await _touch(conn, env, e.case_id)

    @on(WeeklyVerdictWithdrawn)
    async def withdrawn(conn: Connection, env: EventEnvelope, e: WeeklyVerdictWithdrawn) -> None:
        await conn.execute(
            "DELETE FROM care_weeks WHERE case_id = $1 AND iso_week = $2", e.case_id, e.iso_week
        )
        await _touch(conn, env, e.case_id)

    @on(CaseEscalated)
    async def escalated(conn: Connection, env: EventEnvelope, e: CaseEscalated) -> None:
        await _case(conn, env, "escalations = escalations + 1", e.case_id)

    @on(CareSuspended)
    async def suspended(conn: Connection, env: EventEnvelope, e: CareSuspended) -> None:
        await _case(conn, env, "status = 'suspended'", e.case_id)

    @on(CareResumed)
    async def resumed(conn: Connection, env: EventEnvelope, e: CareResumed) -> None:
        await _case(conn, env, "status = 'active'", e.case_id)

    @on(CareCaseClosed)
    async def closed(conn: Connection, env: EventEnvelope, e: CareCaseClosed) -> None:
        await _case(
            conn, env, "status = 'closed', closed_on = $3, closed_reason = $4",
            e.case_id, e.closed_on, e.reason,
        )  # fmt: skip

    return projection


async def _visit(
    conn: Connection,
    visit_id: Any,
    case_id: Any,
    club_id: Any,
    volunteers: Any,
    on: Any,
    status: str,
) -> None:
    await conn.execute(
        "INSERT INTO care_visits (visit_id, case_id, club_id, volunteer_ids, visited_on, iso_week,"
        " status) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (visit_id) DO NOTHING",
        visit_id, case_id, club_id, list(volunteers), on, weeks.label_of(on), status,
    )  # fmt: skip


async def _week(
    conn: Connection, case_id: Any, iso_week: str, club_id: Any, monday: Any, e: Any, *, met: bool
) -> None:
    await conn.execute(
        "INSERT INTO care_weeks (case_id, iso_week, club_id, week_starts_on, required, done, met)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, iso_week) DO NOTHING",
        case_id, iso_week, club_id, monday, e.visits_required, e.visits_done, met,
    )  # fmt: skip
