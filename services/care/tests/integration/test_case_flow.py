"""A case end to end over NATS request/reply, fed by membership events from a real relay;
then every read model rebuilt from the streams equals the live one."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

import pytest
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, QueryEnvelope, new_id
from ishc_contracts.errors import Reply
from ishc_contracts.membership.events import (
    ConsentGiven,
    MemberJoined,
    MemberLeft,
    VolunteerRegistered,
)
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.rebuild import reset_projection
from ishc_runtime.service import Service, ask, send_command
from ishc_runtime.testing.background import running
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until

from .conftest import Membership, command

pytestmark = pytest.mark.integration

CLUB = new_id()


def member(name: str, born: date) -> MemberJoined:
    return MemberJoined(
        member_id=new_id(), club_id=CLUB, person_id=new_id(), full_name=name, sex="female",
        birth_date=born, joined_on=date(2025, 1, 10),
    )  # fmt: skip


def consent(joined: MemberJoined) -> ConsentGiven:
    return ConsentGiven(
        consent_id=new_id(), person_id=joined.person_id, club_id=CLUB, purpose="health_data",
        given_on=date(2025, 1, 10), method="written",
    )  # fmt: skip


def volunteer(name: str) -> VolunteerRegistered:
    return VolunteerRegistered(
        volunteer_id=new_id(), club_id=CLUB, person_id=new_id(), member_id=new_id(),
        full_name=name, registered_on=date(2025, 2, 1),
    )  # fmt: skip


async def has_consents(care: Service, count: int) -> bool:
    known: int = await care.context.pool.fetchval("SELECT count(*) FROM consents")
    return known >= count


async def ok(nc: Client, kind: str, **payload: Any) -> dict[str, Any]:
    reply = await send_command(nc, "care", command(kind, **payload))
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


async def query(nc: Client, kind: str, min_version: int | None = None, **params: Any) -> Reply:
    params = {k: str(v) if isinstance(v, (UUID, date)) else v for k, v in params.items()}
    return await ask(
        nc, "care",
        QueryEnvelope(type=kind, actor=SYSTEM_ACTOR, params=params, min_version=min_version),
    )  # fmt: skip


async def result(nc: Client, kind: str, **params: Any) -> dict[str, Any]:
    reply = await query(nc, kind, **params)
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


async def test_a_case_from_referral_to_death_over_the_bus(
    care: Service, membership: Membership, nats_client: Client
) -> None:
    nc = nats_client
    lan, binh, chi = (
        member("Nguyễn Thị Lan", date(1950, 5, 2)),
        member("Trần Văn Bình", date(1960, 8, 1)),
        member("Lê Thị Chi", date(1970, 3, 3)),
    )
    hung, mai = volunteer("Phạm Văn Hùng"), volunteer("Đỗ Thị Mai")
    for event in (lan, binh, chi):
        await membership.publish(f"member-{event.member_id}", event)
    # Vitals on visits and check-ups are health follow-up: Lan and Bình consented.
    for event in (lan, binh):
        await membership.publish(f"member-{event.member_id}", consent(event))
    for vol in (hung, mai):
        await membership.publish(f"volunteer-{vol.volunteer_id}", vol)

    case = new_id()
    await ok(nc, "ReferForCare", case_id=case, club_id=CLUB, person_id=lan.person_id,
             member_id=lan.member_id, full_name=lan.full_name, referred_on="2026-12-01",
             referred_by="volunteer", reasons=["lives_alone"])  # fmt: skip
    await ok(nc, "AssessNeeds", case_id=case, assessed_on="2026-12-02", assessed_by="board")
    await ok(nc, "OpenCarePlan", case_id=case, plan_id=new_id(), starts_on="2026-12-21")
    await ok(nc, "AssignVolunteers", case_id=case, assigned_on="2026-12-21",
             volunteer_ids=[str(hung.volunteer_id), str(mai.volunteer_id)])  # fmt: skip

    # Week 52 passed with no visit: closing it records a miss.
    await ok(nc, "CloseCareWeek", case_id=case, iso_year=2026, iso_week=52)
    # Week 53 (we are on its Wednesday): two visits, and an offline duplicate of the second.
    await wait_until(
        lambda: has_consents(care, 2), timeout=20, interval=0.1, message="consents never known"
    )
    await ok(nc, "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-28",
             volunteer_ids=[str(hung.volunteer_id)],
             blood_pressure={"systolic": 150, "diastolic": 90})  # fmt: skip
    await ok(nc, "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-29",
             volunteer_ids=[str(hung.volunteer_id), str(mai.volunteer_id)])  # fmt: skip
    dup = await ok(nc, "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-29",
                   volunteer_ids=[str(mai.volunteer_id)])  # fmt: skip
    version = dup["streams"][f"case-{case}"]

    detail = await query(nc, "CaseDetail", min_version=version, case_id=case)
    assert detail.ok and detail.result is not None, detail.problem
    assert detail.result["stale"] is False
    assert detail.result["status"] == "active"
    assert [v["status"] for v in detail.result["visits"]] == ["done", "done", "merged"]
    assert [(w["iso_week"], w["met"]) for w in detail.result["weeks"]] == [("2026-W52", False)]

    board = await result(nc, "WeekBoard", club_id=CLUB)
    assert board["iso_week"] == "2026-W53"
    assert [r["slots"] for r in board["recipients"]] == [["done", "done"]]
    report = await result(nc, "HomeCareReport", iso_year=2026, iso_week=53)
    assert report["people_visited_twice_or_more"] == 1
    workload = await result(nc, "VolunteerWorkload", club_id=CLUB)
    this_week = {str(v["volunteer_id"]): v["visits_this_week"] for v in workload["volunteers"]}
    assert this_week == {str(hung.volunteer_id): 2, str(mai.volunteer_id): 1}

    # Bad input: typed problems naming the field, nothing appended.
    events_before = await care.context.pool.fetchval("SELECT count(*) FROM events")
    future = await send_command(nc, "care", command(
        "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-31",
        volunteer_ids=[str(hung.volunteer_id)]))  # fmt: skip
    assert future.problem is not None and future.problem.type == "in-the-future"
    assert [e.field for e in future.problem.errors] == ["visited_on"]
    vitals = await send_command(nc, "care", command(
        "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-30",
        volunteer_ids=[str(hung.volunteer_id)],
        blood_pressure={"systolic": 280, "diastolic": 90}))  # fmt: skip
    assert vitals.problem is not None and vitals.problem.type == "out-of-physiological-range"
    assert [e.field for e in vitals.problem.errors] == ["blood_pressure.systolic"]
    assert await care.context.pool.fetchval("SELECT count(*) FROM events") == events_before

    # Two visits recorded late for week 52 turn its miss into a hit.
    await ok(nc, "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-22",
             volunteer_ids=[str(hung.volunteer_id)])  # fmt: skip
    late = await ok(nc, "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-24",
                    volunteer_ids=[str(mai.volunteer_id)])  # fmt: skip
    assert len(late["event_ids"]) == 2  # VisitCompleted + WeeklyVisitTargetMetLate
    await query(nc, "CaseDetail", min_version=late["streams"][f"case-{case}"], case_id=case)
    compliance = await result(nc, "ClubCompliance", club_id=CLUB)
    assert (compliance["recipient_weeks"], compliance["met"], compliance["met_late"]) == (1, 1, 1)
    # By period, a week goes where its Thursday is (docs/periods.md): W52's is 24 December.
    for period, weeks_in_period in (("2026-12", 1), ("2026-Q4", 1), ("2026", 1), ("2027", 0)):
        found = await result(nc, "ClubCompliance", club_id=CLUB, period=period)
        assert found["recipient_weeks"] == weeks_in_period, period

    # Check-ups: Lan (76) and Bình (66) are 60+, Chi (56) is not; Bình had a check.
    await ok(nc, "RecordHealthCheck", check_id=new_id(), club_id=CLUB, person_id=binh.person_id,
             member_id=binh.member_id, checked_on="2026-06-01",
             provider="commune_health_station", glucose_mmol_l=6.2)  # fmt: skip

    async def coverage_ready() -> bool:
        found = await result(nc, "CheckupCoverage", club_id=CLUB, year=2026)
        return bool(found["members_60_plus"] == 2 and found["checked"] == 1)

    await wait_until(coverage_ready, timeout=20, message="check-up coverage never caught up")
    coverage = await result(nc, "CheckupCoverage", club_id=CLUB, year=2026)
    assert [m["full_name"] for m in coverage["without_check"]] == [lan.full_name]

    # Mai moves away: the case needs a new volunteer. Then Lan dies: the case closes.
    await membership.publish(f"member-{mai.member_id}", MemberLeft(
        member_id=mai.member_id or new_id(), club_id=CLUB, person_id=mai.person_id,
        left_on=date(2026, 12, 30), reason="moved"))  # fmt: skip

    async def flagged() -> bool:
        found = await result(nc, "CaseDetail", case_id=case)
        return bool(found["reassignment_needed"])

    await wait_until(flagged, timeout=20, message="volunteer leaving was not flagged")
    await membership.publish(f"member-{lan.member_id}", MemberLeft(
        member_id=lan.member_id, club_id=CLUB, person_id=lan.person_id,
        left_on=date(2026, 12, 30), reason="died"))  # fmt: skip

    async def closed() -> bool:
        found = await result(nc, "CaseDetail", case_id=case)
        return bool(found["status"] == "closed" and found["closed_reason"] == "died")

    await wait_until(closed, timeout=20, message="death did not close the case")
    after = await send_command(nc, "care", command(
        "RecordVisit", visit_id=new_id(), case_id=case, visited_on="2026-12-30",
        volunteer_ids=[str(hung.volunteer_id)]))  # fmt: skip
    assert after.problem is not None and after.problem.type == "care-case-closed"

    await _rebuilt_equals_live(care, nc)


async def test_a_death_known_before_the_referral_still_closes_the_case(
    care: Service, membership: Membership, nats_client: Client
) -> None:
    nc, pool = nats_client, care.context.pool
    tam = member("Vũ Văn Tâm", date(1940, 1, 1))
    await membership.publish(f"member-{tam.member_id}", tam, MemberLeft(
        member_id=tam.member_id, club_id=CLUB, person_id=tam.person_id,
        left_on=date(2026, 12, 20), reason="died"))  # fmt: skip

    async def death_known() -> bool:
        found = await pool.fetchval(
            "SELECT died FROM care_reaction_departed WHERE person_id = $1", tam.person_id
        )
        return bool(found)

    await wait_until(death_known, timeout=20, message="the death never reached care")
    case = new_id()
    await ok(nc, "ReferForCare", case_id=case, club_id=CLUB, person_id=tam.person_id,
             full_name=tam.full_name, referred_on="2026-12-21", referred_by="family")  # fmt: skip

    async def closed() -> bool:
        found = await query(nc, "CaseDetail", case_id=case)
        return bool(found.ok and found.result and found.result["closed_reason"] == "died")

    await wait_until(closed, timeout=20, message="the late referral was not closed")


async def _rebuilt_equals_live(care: Service, nc: Client) -> None:
    pool, relay = care.context.pool, care.relay
    assert relay is not None
    runners = [care.runners["care_cases"], care.runners["care_checkups"]]

    async def live_caught_up() -> bool:
        return await relay.lag() == 0 and all([await _caught_up(r) for r in runners])

    await wait_until(live_caught_up, timeout=20, message="live projections lagging")
    tables = [t for r in runners for t in r.projection.tables]
    async with pool.acquire() as conn:
        live = {t: await table_rows(conn, t) for t in tables}
    care.stopping.set()  # stop the live runners before emptying their tables
    for task in care._tasks:
        await task
    async with pool.acquire() as conn:
        for runner in runners:
            await reset_projection(conn, runner.projection)
    rebuilding = [
        ProjectionRunner(pool, nc, r.projection, care.definition.registry, poll_interval=0.05)
        for r in runners
    ]
    async with running(*(r.run for r in rebuilding)):
        for runner in rebuilding:
            await wait_until(partial(_caught_up, runner), timeout=20, message="rebuild lagging")
    async with pool.acquire() as conn:
        rebuilt = {t: await table_rows(conn, t) for t in tables}
    assert rebuilt == live
    assert len(live["care_visits"]) == 5 and len(live["care_members"]) == 3


async def _caught_up(runner: ProjectionRunner) -> bool:
    lags = await runner.lag()
    return all(lag == 0 for lag in lags.values())
