"""Reporting's view of care: home-care cases, weekly compliance, visits per club and month,
health checks."""

from __future__ import annotations

from datetime import date

from ishc_contracts import EventEnvelope
from ishc_contracts.care.events import (
    CareCaseClosed,
    CarePlanOpened,
    CareReferralReceived,
    HealthCheckRecorded,
    VisitCompleted,
    WeeklyVerdictWithdrawn,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_runtime.projections import Projection, Write
from reporting.projections.finance import month_of

TABLES = ["rpt_care_cases", "rpt_care_weeks", "rpt_visits", "rpt_health_checks"]

_WEEK = (
    "INSERT INTO rpt_care_weeks (case_id, club_id, week_starts_on, met, visits_done)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, week_starts_on)"
    " DO UPDATE SET met = excluded.met, visits_done = excluded.visits_done"
)


def care_projection(source: str = "care") -> Projection:
    projection = Projection(name="reporting_care", sources=[source], policy="park", tables=TABLES)

    @projection.writes(CareReferralReceived)
    def referred(env: EventEnvelope, e: CareReferralReceived) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_care_cases (case_id, club_id, person_id, member_id, referred_on)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING",
                (e.case_id, e.club_id, e.person_id, e.member_id, e.referred_on),
            )
        ]

    @projection.writes(CarePlanOpened)
    def plan(env: EventEnvelope, e: CarePlanOpened) -> list[Write]:
        return [
            Write(
                "UPDATE rpt_care_cases SET plan_starts_on = coalesce(plan_starts_on, $2),"
                " visits_per_week = $3 WHERE case_id = $1",
                (e.case_id, e.starts_on, e.visits_per_week),
            )
        ]

    @projection.writes(CareCaseClosed)
    def closed(env: EventEnvelope, e: CareCaseClosed) -> list[Write]:
        return [
            Write(
                "UPDATE rpt_care_cases SET closed_on = $2 WHERE case_id = $1",
                (e.case_id, e.closed_on),
            )
        ]

    @projection.writes(VisitCompleted)
    def visited(env: EventEnvelope, e: VisitCompleted) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_visits (club_id, month, visits) VALUES ($1, $2, 1)"
                " ON CONFLICT (club_id, month) DO UPDATE SET visits = rpt_visits.visits + 1",
                (e.club_id, month_of(e.visited_on)),
            )
        ]

    @projection.writes(WeeklyVisitTargetMet)
    def met(env: EventEnvelope, e: WeeklyVisitTargetMet) -> list[Write]:
        return [Write(_WEEK, (e.case_id, e.club_id, e.week_starts_on, True, e.visits_done))]

    @projection.writes(WeeklyVisitTargetMissed)
    def missed(env: EventEnvelope, e: WeeklyVisitTargetMissed) -> list[Write]:
        return [Write(_WEEK, (e.case_id, e.club_id, e.week_starts_on, False, e.visits_done))]

    @projection.writes(WeeklyVisitTargetMetLate)
    def met_late(env: EventEnvelope, e: WeeklyVisitTargetMetLate) -> list[Write]:
        return [
            Write(
                "UPDATE rpt_care_weeks SET met = true, visits_done = $3"
                " WHERE case_id = $1 AND week_starts_on = $2",
                (e.case_id, _monday(e.iso_week), e.visits_done),
            )
        ]

    @projection.writes(WeeklyVerdictWithdrawn)
    def withdrawn(env: EventEnvelope, e: WeeklyVerdictWithdrawn) -> list[Write]:
        return [
            Write(
                "DELETE FROM rpt_care_weeks WHERE case_id = $1 AND week_starts_on = $2",
                (e.case_id, e.week_starts_on),
            )
        ]

    @projection.writes(HealthCheckRecorded)
    def checked(env: EventEnvelope, e: HealthCheckRecorded) -> list[Write]:
        return [
            Write(
                "INSERT INTO rpt_health_checks (check_id, club_id, person_id, checked_on)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (check_id) DO NOTHING",
                (e.check_id, e.club_id, e.person_id, e.checked_on),
            )
        ]

    return projection


def _monday(iso_week: str) -> date:
    year, week = iso_week.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)
