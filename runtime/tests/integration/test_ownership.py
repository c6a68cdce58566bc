"""Ownership in the command path (issue #18): objects resolve to their clubs from the events
that placed them, and a command naming another club's object is refused like an unknown one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from ishc_contracts import Actor, CommandEnvelope, EventEnvelope, EventMetadata, new_id
from ishc_contracts.errors import NotInScope
from ishc_contracts.membership import commands as c
from ishc_contracts.membership import events as e
from ishc_contracts.ownership import PERSON
from ishc_runtime.ownership import Ownership
from ishc_runtime.store.eventstore import StreamWrite

pytestmark = pytest.mark.integration

CLUB_A, CLUB_B = new_id(), new_id()
SECRETARY = Actor(user_id="secretary", role="club_secretary")


@pytest_asyncio.fixture(loop_scope="session")
async def ownership(pool: asyncpg.Pool, stream_suffix: str) -> AsyncIterator[Ownership]:
    directory = Ownership(f"membership{stream_suffix}", sources=["membership"])
    directory.declared.update(Ownership("membership", sources=[]).declared)
    await pool.execute(
        f"CREATE TABLE {directory.table} (kind text, object_id uuid, club_id uuid, source text,"
        " version integer, active boolean, PRIMARY KEY (kind, object_id, club_id, source))"
    )
    try:
        yield directory
    finally:
        await pool.execute(f"DROP TABLE {directory.table}")


def joined(person: UUID, club: UUID) -> e.MemberJoined:
    return e.MemberJoined(
        member_id=new_id(),
        club_id=club,
        person_id=person,
        full_name="Nguyễn Thị Lan",
        sex="female",
        joined_on=date(2026, 3, 1),
    )


def left(person: UUID, club: UUID) -> e.MemberLeft:
    return e.MemberLeft(
        member_id=new_id(), club_id=club, person_id=person, left_on=date(2026, 4, 1), reason="moved"
    )


def consent(
    person: UUID, club: UUID, acting: UUID | None
) -> tuple[CommandEnvelope, c.RecordConsent]:
    payload = c.RecordConsent(
        consent_id=new_id(),
        person_id=person,
        club_id=club,
        purpose="health_data",
        given_on=date(2026, 3, 2),
        method="written",
    )
    envelope = CommandEnvelope(
        command_id=new_id(),
        type="RecordConsent",
        actor=SECRETARY,
        club_id=acting,
        payload=payload.model_dump(mode="json"),
    )
    return envelope, payload


async def test_another_clubs_object_and_an_unknown_one_get_the_same_refusal(
    pool: asyncpg.Pool, ownership: Ownership
) -> None:
    person, stranger = new_id(), new_id()
    async with pool.acquire() as conn:
        await ownership.record(
            conn, [StreamWrite(f"member-{person}", "member", 0, [joined(person, CLUB_A)])]
        )
        await ownership.check(conn, *consent(person, CLUB_A, CLUB_A))  # A's own: fine

        refusals = []
        for envelope, payload in (
            consent(person, CLUB_B, CLUB_B),  # B names A's person in its own club
            consent(stranger, CLUB_B, CLUB_B),  # nobody's person
            consent(person, CLUB_A, CLUB_B),  # B names club A in the payload
        ):
            with pytest.raises(NotInScope) as refused:
                await ownership.check(conn, envelope, payload)
            refusals.append(refused.value.problem())
        # A's person and nobody's person: the very same answer, naming only the field sent.
        assert refusals[0] == refusals[1]
        assert [e.field for e in refusals[0].errors] == ["person_id"]
        assert [e.field for e in refusals[2].errors] == ["club_id"]
        for problem in refusals:
            assert (problem.type, problem.status) == ("not-found", 404)
            assert problem.detail == "no such thing in your scope"
            assert str(CLUB_A) not in problem.model_dump_json()
        # National roles and the system act for no one club: nothing to refuse.
        await ownership.check(conn, *consent(person, CLUB_B, None))


async def test_a_person_belongs_to_the_clubs_of_their_active_memberships(
    pool: asyncpg.Pool, ownership: Ownership
) -> None:
    person = new_id()
    stream = f"member-{person}"
    async with pool.acquire() as conn:
        await ownership.record(
            conn,
            [StreamWrite(stream, "member", 0, [joined(person, CLUB_A), joined(person, CLUB_B)])],
        )
        assert (await ownership.clubs_of(conn, [(PERSON, person)]))[(PERSON, person)] == {
            CLUB_A,
            CLUB_B,
        }
        await ownership.record(conn, [StreamWrite(stream, "member", 2, [left(person, CLUB_A)])])
        assert await ownership.belongs(conn, PERSON, person, CLUB_B)
        assert not await ownership.belongs(conn, PERSON, person, CLUB_A)


async def test_the_projection_replaying_an_older_event_late_changes_nothing(
    pool: asyncpg.Pool, ownership: Ownership
) -> None:
    person = new_id()
    stream = f"member-{person}"
    first, second = joined(person, CLUB_A), left(person, CLUB_A)
    async with pool.acquire() as conn:
        # The command path wrote both at once; the projection then applies the join (v1).
        await ownership.record(conn, [StreamWrite(stream, "member", 0, [first, second])])
        writer = ownership.projection().writers[first.wire_name()]
        envelope = EventEnvelope(
            event_id=new_id(),
            type=first.wire_name(),
            schema_version=1,
            stream_id=stream,
            stream_type="member",
            version=1,
            recorded_at="2026-03-01T00:00:00+00:00",
            metadata=EventMetadata(
                correlation_id=new_id(), actor=SECRETARY, occurred_at="2026-03-01T00:00:00+00:00"
            ),
            data=first.model_dump(mode="json"),
        )
        for write in writer(envelope, first):
            await conn.execute(write.sql, *write.args)
        assert not await ownership.belongs(conn, PERSON, person, CLUB_A)


async def test_a_person_who_is_a_member_elsewhere_may_still_be_admitted(
    pool: asyncpg.Pool, ownership: Ownership
) -> None:
    """Where the rules allow a second club (one ISHC per person is a setting), the check lets
    the admission through: the member stream's rule decides, and names no club."""
    person = new_id()
    payload = c.AdmitMember(
        member_id=new_id(),
        club_id=CLUB_B,
        person_id=person,
        full_name="Nguyễn Thị Lan",
        sex="female",
        joined_on=date(2026, 3, 1),
    )
    envelope = CommandEnvelope(
        command_id=new_id(),
        type="AdmitMember",
        actor=SECRETARY,
        club_id=CLUB_B,
        payload=payload.model_dump(mode="json"),
    )
    async with pool.acquire() as conn:
        stream = f"member-{person}"
        await ownership.record(conn, [StreamWrite(stream, "member", 0, [joined(person, CLUB_A)])])
        await ownership.check(conn, envelope, payload)
        # ... but B may not name A's member record in it.
        member = await conn.fetchval(
            f"SELECT object_id FROM {ownership.table} WHERE kind = 'member' AND source = $1",
            stream,
        )
        other = payload.model_copy(update={"member_id": member})
        with pytest.raises(NotInScope):
            await ownership.check(conn, envelope, other)
