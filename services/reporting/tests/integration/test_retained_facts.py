"""Reporting counts a person as before once the person's keys are destroyed: the facts it
derives from sealed values (the month they turn 60, the ethnic-minority flag, a household's
poverty status) are kept by event, so a rebuild that can no longer open the values writes
the same rows. A reporting store that never opened them invents nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.membership import events as ev
from ishc_runtime.projections import apply_writes
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.testing.plugin import MakeDatabase
from ishc_runtime.testing.tables import table_rows
from reporting.projections.membership import TABLES, membership_projection

pytestmark = pytest.mark.integration

META = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
CLUB, MEMBER, PERSON, HOUSEHOLD = uuid4(), uuid4(), uuid4(), uuid4()


def history() -> list[tuple[UUID, Event]]:
    return [
        (MEMBER, ev.MemberJoined(member_id=MEMBER, club_id=CLUB, person_id=PERSON,
            household_id=HOUSEHOLD, full_name="Vi Thị Mai", sex="female",
            birth_date=date(1961, 5, 9), joined_on=date(2025, 3, 1), ethnic_minority=True)),
        (MEMBER, ev.MemberProfileUpdated(member_id=MEMBER, club_id=CLUB,
            birth_date=date(1960, 11, 9))),
        (HOUSEHOLD, ev.HouseholdPovertyStatusRecorded(household_id=HOUSEHOLD, club_id=CLUB,
            status="near_poor", standard="2022-2025", valid_from=date(2025, 1, 1),
            person_ids=(PERSON,))),
    ]  # fmt: skip


def envelopes() -> list[tuple[EventEnvelope, Event]]:
    out = []
    for version, (entity, event) in enumerate(history(), start=1):
        envelope = EventEnvelope(
            event_id=new_id(), type=event.wire_name(), schema_version=event.schema_version,
            stream_id=f"{event.aggregate}-{entity}", stream_type=event.aggregate,
            version=version, recorded_at=datetime.now(UTC), metadata=META,
            data=event.model_dump(mode="json"),
        )  # fmt: skip
        out.append((envelope, event))
    return out


def erased(event: Event) -> Event:
    """The event as it reads once its subject's keys are destroyed."""
    gone = {"birth_date": None, "ethnic_minority": None, "status": None}
    return event.model_copy(update={k: v for k, v in gone.items() if k in type(event).model_fields})


async def fold(conn: asyncpg.Connection, events: list[tuple[EventEnvelope, Event]]) -> None:
    projection = membership_projection()
    writes = [w for env, e in events for w in projection.writers[env.type](env, e)]
    async with conn.transaction():
        await apply_writes(conn, writes)


async def rows(conn: asyncpg.Connection) -> dict[str, Any]:
    return {table: await table_rows(conn, table) for table in TABLES}


async def reporting_store(fresh_database: MakeDatabase, name: str) -> asyncpg.Connection:
    dsn = await fresh_database(name)
    await migrate(dsn, MigrationSource.package("reporting", "reporting.projections"))
    return await asyncpg.connect(dsn)


async def test_a_rebuild_after_the_keys_are_destroyed_writes_the_same_rows(
    fresh_database: MakeDatabase,
) -> None:
    conn = await reporting_store(fresh_database, "rpt_retained")
    try:
        opened = envelopes()
        await fold(conn, opened)
        live = await rows(conn)
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}")  # what a rebuild starts from

        await fold(conn, [(env, erased(e)) for env, e in opened])

        assert await rows(conn) == live
        member = await conn.fetchrow(
            "SELECT sixty_from, ethnic_minority FROM rpt_members WHERE member_id = $1", MEMBER
        )
        assert member is not None
        assert dict(member) == {"sixty_from": date(2020, 11, 1), "ethnic_minority": True}
        status = await conn.fetchval("SELECT status FROM rpt_household_status")
        assert status == "near_poor"
    finally:
        await conn.close()


async def test_a_store_that_never_opened_the_values_invents_none(
    fresh_database: MakeDatabase,
) -> None:
    conn = await reporting_store(fresh_database, "rpt_never_opened")
    try:
        await fold(conn, [(env, erased(e)) for env, e in envelopes()])

        member = await conn.fetchrow(
            "SELECT sixty_from, ethnic_minority FROM rpt_members WHERE member_id = $1", MEMBER
        )
        assert member is not None
        assert dict(member) == {"sixty_from": None, "ethnic_minority": False}
        assert await conn.fetchval("SELECT status FROM rpt_household_status") == "unknown"
        assert await conn.fetchval("SELECT count(*) FROM rpt_retained_facts") == 0
    finally:
        await conn.close()
