"""The retention reaction schedules one timer per rule from the business date that starts
the clock, never twice for a redelivered event, and an event that stops the clock (a new
membership) cancels only the clocks started on or before its own date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
import pytest

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id
from ishc_contracts.membership.events import MemberJoined, MemberLeft
from ishc_runtime.clock import FakeClock, vn_start_of_day
from ishc_runtime.scheduler import Scheduler
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.retention import retention_reaction

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
PERSON, MEMBER, CLUB = new_id(), new_id(), new_id()
STREAM = f"member-{PERSON}"


async def never(command: Any) -> dict[str, Any]:
    raise AssertionError("nothing fires in this test")


def envelope(event: Event, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_id=new_id(), type=event.wire_name(), schema_version=event.schema_version,
        stream_id=STREAM, stream_type="member", version=version, recorded_at=NOW,
        metadata=EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=NOW),
        data=event.model_dump(mode="json"),
    )  # fmt: skip


def joined(on: date) -> MemberJoined:
    return MemberJoined(
        member_id=MEMBER, club_id=CLUB, person_id=PERSON, full_name="Đinh Văn Sơn",
        sex="male", birth_date=date(1950, 1, 1), joined_on=on,
    )  # fmt: skip


async def pending(pool: asyncpg.Pool) -> dict[str, datetime]:
    rows = await pool.fetch(
        "SELECT key, due_at FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL"
    )
    return {row["key"]: row["due_at"] for row in rows}


async def test_leaving_starts_the_clocks_and_a_new_membership_stops_them(
    pool: asyncpg.Pool,
) -> None:
    clock = FakeClock(NOW)
    ctx = cast(
        "ServiceContext", SimpleNamespace(scheduler=Scheduler(pool, clock, never), clock=clock)
    )
    projection = retention_reaction("membership")(ctx)

    async def apply(event: Event, version: int) -> None:
        env = envelope(event, version)
        async with pool.acquire() as conn, conn.transaction():
            await projection.handlers[env.type](conn, env, event)

    left = MemberLeft(
        member_id=MEMBER, club_id=CLUB, person_id=PERSON, left_on=date(2026, 3, 31),
        reason="moved",
    )  # fmt: skip
    await apply(left, 2)
    await apply(left, 2)  # redelivered: the same clocks, not new ones
    identity = f"retention:membership.id_documents_after_leaving:{STREAM}:2026-03-31"
    contact = f"retention:membership.contact_after_leaving:{STREAM}:2026-03-31"
    assert await pending(pool) == {
        identity: vn_start_of_day(date(2031, 3, 31)),
        contact: vn_start_of_day(date(2027, 3, 31)),
    }

    await apply(joined(date(2025, 1, 10)), 1)  # an earlier membership, typed in late
    assert set(await pending(pool)) == {identity, contact}

    await apply(joined(date(2026, 6, 1)), 3)  # came back: the clocks stop
    assert await pending(pool) == {}
