"""Reporting's view of care: home-care cases, weekly compliance, visits per club and month,
health checks."""

from __future__ import annotations

from datetime import date, timedelta

from ishc_contracts import EventEnvelope
from ishc_contracts.care import weeks
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

TABLES = [
    "rpt_care_cases",
    "rpt_care_weeks",
    "rpt_visits",
    "rpt_health_checks",
    "rpt_care_week_visits",
]

# A visit (counted per club and month) and a closed week (upserted, the last word wins)
# share ONE statement, the other's columns NULL: the scheduler closes last week on the Monday
# clubs record this week's visits, so the stream alternates them across cases, and two
# statements would cut every run to one row. $1 club, $2 month of a visit (NULL for a week),
# $3 case (NULL for a visit), $4 week's Monday, $5 met, $6 visits done, $7 a visit's case and
# $8 its week's Monday (NULL for a week): a visit also counts in its case's week, so visits
# per recipient-week come from the visits, whenever each was keyed in.
_VISIT_OR_WEEK = (
    "WITH visit AS (INSERT INTO rpt_visits (club_id, month, visits) SELECT $1::uuid, $2::date, 1"
    " WHERE $2::date IS NOT NULL ON CONFLICT (club_id, month)"
    " DO UPDATE SET visits = rpt_visits.visits + 1),"
    " week_visit AS (INSERT INTO rpt_care_week_visits (case_id, week_starts_on, visits)"
    " SELECT $7::uuid, $8::date, 1 WHERE $7::uuid IS NOT NULL"
    " ON CONFLICT (case_id, week_starts_on) DO UPDATE SET visits = rpt_care_week_visits.visits"
    " + 1)"
    " INSERT INTO rpt_care_weeks (case_id, club_id, week_starts_on, met, visits_done)"
    " SELECT $3::uuid, $1::uuid, $4::date, $5::bool, $6::int WHERE $3::uuid IS NOT NULL"
    " ON CONFLICT (case_id, week_starts_on)"
    " DO UPDATE SET met = excluded.met, visits_done = excluded.visits_done"
)
# A run of them as one statement (Write.fold), with the same effect as in order: visits
# summed per club and month; per week, the club of the first row (an update keeps it) and
# the met flag and count of the last.
_VISITS_AND_WEEKS = (
    "WITH u AS (SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::date[], $5::bool[],"
    " $6::int[], $7::uuid[], $8::date[]) WITH ORDINALITY AS u(club_id, month, case_id,"
    " week_starts_on, met, visits_done, visit_case, visit_week, n)),"
    " visit AS (INSERT INTO rpt_visits (club_id, month, visits) SELECT club_id, month, count(*)"
    " FROM u WHERE month IS NOT NULL GROUP BY club_id, month ON CONFLICT (club_id, month)"
    " DO UPDATE SET visits = rpt_visits.visits + excluded.visits),"
    " week_visit AS (INSERT INTO rpt_care_week_visits (case_id, week_starts_on, visits)"
    " SELECT visit_case, visit_week, count(*) FROM u WHERE visit_case IS NOT NULL"
    " GROUP BY visit_case, visit_week ON CONFLICT (case_id, week_starts_on)"
    " DO UPDATE SET visits = rpt_care_week_visits.visits + excluded.visits)"
    " INSERT INTO rpt_care_weeks (case_id, club_id, week_starts_on, met, visits_done)"
    " SELECT case_id, (array_agg(club_id ORDER BY n))[1], week_starts_on,"
    " (array_agg(met ORDER BY n DESC))[1], (array_agg(visits_done ORDER BY n DESC))[1]"
    " FROM u WHERE case_id IS NOT NULL GROUP BY case_id, week_starts_on"
    " ON CONFLICT (case_id, week_starts_on)"
    " DO UPDATE SET met = excluded.met, visits_done = excluded.visits_done"
)
_REFERRED = (
    "INSERT INTO rpt_care_cases (case_id, club_id, person_id, member_id, referred_on)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id) DO NOTHING"
)
_REFERRALS = (
    "INSERT INTO rpt_care_cases (case_id, club_id, person_id, member_id, referred_on)"
    " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::date[])"
    " ON CONFLICT (case_id) DO NOTHING"
)
_CHECKED = (
    "INSERT INTO rpt_health_checks (check_id, club_id, person_id, checked_on)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (check_id) DO NOTHING"
)
_CHECKS = (
    "INSERT INTO rpt_health_checks (check_id, club_id, person_id, checked_on)"
    " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[])"
    " ON CONFLICT (check_id) DO NOTHING"
)


def _week(e: WeeklyVisitTargetMet | WeeklyVisitTargetMissed, *, met: bool) -> Write:
    args = (e.club_id, None, e.case_id, e.week_starts_on, met, e.visits_done, None, None)
    return Write(_VISIT_OR_WEEK, args, fold=_VISITS_AND_WEEKS)


def care_projection(source: str = "care") -> Projection:
    projection = Projection(
        name="reporting_care",
        sources=[source],
        policy="park",
        tables=TABLES,
        # Writes find rows by primary key: this one serves the reports only.
        deferred_indexes=("rpt_health_checks_person",),
    )

    @projection.writes(CareReferralReceived, opens=())
    def referred(env: EventEnvelope, e: CareReferralReceived) -> list[Write]:
        args = (e.case_id, e.club_id, e.person_id, e.member_id, e.referred_on)
        return [Write(_REFERRED, args, fold=_REFERRALS)]

    projection.row(
        CarePlanOpened,
        "UPDATE rpt_care_cases SET plan_starts_on = coalesce(plan_starts_on, $2),"
        " visits_per_week = $3 WHERE case_id = $1",
        lambda e: (e.case_id, e.starts_on, e.visits_per_week),
        opens=(),
    )

    projection.row(
        CareCaseClosed,
        "UPDATE rpt_care_cases SET closed_on = $2 WHERE case_id = $1",
        lambda e: (e.case_id, e.closed_on),
        opens=(),
    )

    @projection.writes(VisitCompleted, opens=())
    def visited(env: EventEnvelope, e: VisitCompleted) -> list[Write]:
        monday = e.visited_on - timedelta(days=e.visited_on.weekday())
        args = (e.club_id, month_of(e.visited_on), None, None, None, None, e.case_id, monday)
        return [Write(_VISIT_OR_WEEK, args, fold=_VISITS_AND_WEEKS)]

    @projection.writes(WeeklyVisitTargetMet)
    def met(env: EventEnvelope, e: WeeklyVisitTargetMet) -> list[Write]:
        return [_week(e, met=True)]

    @projection.writes(WeeklyVisitTargetMissed)
    def missed(env: EventEnvelope, e: WeeklyVisitTargetMissed) -> list[Write]:
        return [_week(e, met=False)]

    projection.row(
        WeeklyVisitTargetMetLate,
        "UPDATE rpt_care_weeks SET met = true, visits_done = $3"
        " WHERE case_id = $1 AND week_starts_on = $2",
        lambda e: (e.case_id, _monday(e.iso_week), e.visits_done),
    )

    projection.row(
        WeeklyVerdictWithdrawn,
        "DELETE FROM rpt_care_weeks WHERE case_id = $1 AND week_starts_on = $2",
        lambda e: (e.case_id, e.week_starts_on),
    )

    @projection.writes(HealthCheckRecorded, opens=())
    def checked(env: EventEnvelope, e: HealthCheckRecorded) -> list[Write]:
        args = (e.check_id, e.club_id, e.person_id, e.checked_on)
        return [Write(_CHECKED, args, fold=_CHECKS)]

    return projection


def _monday(iso_week: str) -> date:
    return date.fromisocalendar(*weeks.parse(iso_week), 1)
