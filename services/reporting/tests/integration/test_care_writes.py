"""Reporting's care writers give the same rows whether a batch's runs are folded into one
statement each (`Write.fold`, as the runner sends them) or every write runs on its own, in
order: visits of several clubs and months, weeks closed twice and met late, duplicates."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.care import events as ev
from ishc_runtime.projections import Write, apply_writes
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.testing.plugin import MakeDatabase
from ishc_runtime.testing.tables import table_rows
from reporting.projections.care import TABLES, care_projection

pytestmark = pytest.mark.integration

MONDAY = date(2026, 3, 30)  # its week runs into April: two months
META = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))


def _history() -> list[tuple[UUID, Event]]:
    plan, volunteer = uuid4(), (uuid4(),)
    clubs = (uuid4(), uuid4())
    cases = (uuid4(), uuid4(), uuid4())
    events: list[tuple[UUID, Event]] = []
    for n, case in enumerate(cases):
        club = clubs[n % 2]
        events.append((case, ev.CareReferralReceived(case_id=case, club_id=club,
            person_id=uuid4(), full_name="Ông Minh", referred_on=MONDAY, referred_by="board")))  # fmt: skip
    events.append(events[0])  # a referral recorded twice
    for day, (n, case) in itertools.product(range(0, 5, 2), enumerate(cases)):
        events.append((case, ev.VisitCompleted(visit_id=uuid4(), case_id=case,
            club_id=clubs[n % 2], volunteer_ids=volunteer,
            visited_on=MONDAY + timedelta(days=day))))  # fmt: skip
    for n, case in enumerate(cases):
        fields = {"case_id": case, "plan_id": plan, "club_id": clubs[n % 2],
                  "iso_week": "2026-W14", "week_starts_on": MONDAY, "visits_required": 4,
                  "visits_done": 3}  # fmt: skip
        events.append((case, ev.WeeklyVisitTargetMissed(**fields, consecutive_misses=1)))
        events.append((case, ev.WeeklyVisitTargetMet(**{**fields, "visits_done": 4})))
        events.append((case, ev.VisitCompleted(visit_id=uuid4(), case_id=case,
            club_id=clubs[n % 2], volunteer_ids=volunteer, visited_on=MONDAY + timedelta(7))))  # fmt: skip
    events.append((cases[0], ev.WeeklyVisitTargetMetLate(case_id=cases[0], club_id=clubs[0],
        iso_week="2026-W14", visits_required=4, visits_done=5, visit_id=uuid4())))  # fmt: skip
    events.append((cases[1], ev.HealthCheckRecorded(check_id=plan, club_id=clubs[1],
        person_id=uuid4(), checked_on=MONDAY)))  # fmt: skip
    return events


def _writes() -> list[Write]:
    projection = care_projection()
    versions: dict[UUID, int] = {}
    writes: list[Write] = []
    for stream, event in _history():
        versions[stream] = versions.get(stream, 0) + 1
        envelope = EventEnvelope(
            event_id=new_id(), type=event.wire_name(), schema_version=event.schema_version,
            stream_id=f"case-{stream}", stream_type="case", version=versions[stream],
            recorded_at=datetime.now(UTC), metadata=META, data=event.model_dump(mode="json"),
        )  # fmt: skip
        writes += projection.writers[envelope.type](envelope, event)
    return writes


async def _rows(dsn: str) -> dict[str, object]:
    conn = await asyncpg.connect(dsn)
    try:
        return {table: await table_rows(conn, table) for table in TABLES}
    finally:
        await conn.close()


async def test_folded_runs_write_what_one_write_at_a_time_writes(
    fresh_database: MakeDatabase,
) -> None:
    writes = _writes()
    assert any(w.fold and w.fold == after.fold for w, after in itertools.pairwise(writes))
    sources = MigrationSource.package("reporting", "reporting.projections")
    one_dsn, folded_dsn = await fresh_database("rpt_one"), await fresh_database("rpt_folded")
    for dsn in (one_dsn, folded_dsn):
        await migrate(dsn, sources)
    one = await asyncpg.connect(one_dsn)
    try:
        for write in writes:
            await one.execute(write.sql, *write.args)
    finally:
        await one.close()
    conn = await asyncpg.connect(folded_dsn)
    try:
        async with conn.transaction():
            await apply_writes(conn, writes)
    finally:
        await conn.close()
    expected = await _rows(one_dsn)
    assert await _rows(folded_dsn) == expected
    visits = expected["rpt_visits"]
    assert isinstance(visits, list)
    assert sum(row[-1] for row in visits) == 12
    assert len(visits) == 4  # two clubs, March and April
