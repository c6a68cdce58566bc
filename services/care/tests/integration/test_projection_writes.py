"""The care_cases writers give the same rows whether a batch's runs are folded into one
statement each (`Write.fold`, as the runner sends them) or every write runs on its own, in
order: duplicates, a week closed twice, a late hit, a merge, interleaved cases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import asyncpg
import pytest

from care.projections.cases import TABLES, cases_projection
from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.care import events as ev
from ishc_runtime.projections import Write, apply_writes
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.testing.plugin import MakeDatabase
from ishc_runtime.testing.tables import table_rows

pytestmark = pytest.mark.integration

MONDAY = date(2026, 3, 2)
META = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))


def _history() -> list[tuple[UUID, Event]]:
    club, plan = uuid4(), uuid4()
    a, b = uuid4(), uuid4()
    volunteers = (uuid4(), uuid4())
    twice, late = uuid4(), uuid4()
    opened: list[tuple[UUID, Event]] = []
    for case in (a, b):
        opened += [
            (case, ev.CareReferralReceived(case_id=case, club_id=club, person_id=uuid4(),
                full_name="Bà Lan", referred_on=MONDAY, referred_by="board")),
            (case, ev.NeedsAssessed(case_id=case, club_id=club, assessed_on=MONDAY,
                assessed_by="board")),
            (case, ev.CarePlanOpened(case_id=case, plan_id=plan, club_id=club,
                visits_per_week=2, starts_on=MONDAY)),
            (case, ev.VolunteersAssigned(case_id=case, plan_id=plan, club_id=club,
                volunteer_ids=volunteers, assigned_on=MONDAY)),
        ]  # fmt: skip

    def visit(case: UUID, day: int, visit_id: UUID | None = None) -> tuple[UUID, Event]:
        return (case, ev.VisitCompleted(visit_id=visit_id or uuid4(), case_id=case,
            club_id=club, volunteer_ids=volunteers[: 1 + day % 2],
            visited_on=MONDAY + timedelta(days=day)))  # fmt: skip

    def week(case: UUID, done: int, *, met: bool) -> tuple[UUID, Event]:
        fields = {"case_id": case, "plan_id": plan, "club_id": club, "iso_week": "2026-W10",
                  "week_starts_on": MONDAY, "visits_required": 2, "visits_done": done}  # fmt: skip
        if met:
            return (case, ev.WeeklyVisitTargetMet(**fields))
        return (case, ev.WeeklyVisitTargetMissed(**fields, consecutive_misses=1))

    return [
        *opened,
        visit(a, 0, twice), visit(b, 0), visit(a, 0, twice),  # the same visit recorded twice
        (b, ev.VisitMissed(visit_id=uuid4(), case_id=b, club_id=club, due_on=MONDAY,
            volunteer_ids=volunteers[:1], reason="volunteer_unavailable")),
        visit(a, 2), week(a, 2, met=True), visit(b, 7), week(b, 1, met=False),
        week(b, 1, met=False),  # closed twice: the first stays
        (b, ev.CaseEscalated(case_id=b, club_id=club, iso_week="2026-W10",
            consecutive_misses=1)),
        visit(b, 4, late),
        (b, ev.WeeklyVisitTargetMetLate(case_id=b, club_id=club, iso_week="2026-W10",
            visits_required=2, visits_done=2, visit_id=late)),
        (a, ev.VisitMerged(visit_id=uuid4(), merged_into=twice, case_id=a, club_id=club,
            visited_on=MONDAY)),
        visit(a, 8), visit(b, 8), week(a, 1, met=False),
        (a, ev.CareCaseClosed(case_id=a, club_id=club, person_id=uuid4(),
            closed_on=MONDAY + timedelta(days=9), reason="recovered")),
    ]  # fmt: skip


def _writes() -> list[Write]:
    projection = cases_projection()
    versions: dict[UUID, int] = {}
    writes: list[Write] = []
    for case, event in _history():
        versions[case] = versions.get(case, 0) + 1
        envelope = EventEnvelope(
            event_id=new_id(), type=event.wire_name(), schema_version=event.schema_version,
            stream_id=f"case-{case}", stream_type="case", version=versions[case],
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
    folded = [w for w, after in itertools.pairwise(writes) if w.fold and w.fold == after.fold]
    assert folded, "the history has runs that the runner folds"
    sources = MigrationSource.package("care", "care.projections", "sql")
    one_dsn, folded_dsn = await fresh_database("care_one"), await fresh_database("care_folded")
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
    cases = expected["care_cases"]
    assert isinstance(cases, list)
    assert sorted(row[-1] for row in cases) == [12, 13]  # each case at its last version
