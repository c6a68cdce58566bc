"""The membership service over real NATS + Postgres, under its real bus name."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from nats.aio.client import Client

from ishc_contracts import CommandEnvelope, new_id
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.rebuild import reset_projection
from ishc_runtime.service import Service, send_command
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until
from membership.definition import definition
from membership.settings import Settings

from .scenario import FOUNDED, SECRETARY, Club, found, govern, query, run

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None
) -> AsyncIterator[Service]:
    settings = Settings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(definition(), settings) as running_service:
        yield running_service


async def _caught_up(runner: ProjectionRunner) -> bool:
    return all(lag == 0 for lag in (await runner.lag()).values())


async def _all_caught_up(service: Service) -> bool:
    assert service.relay is not None
    if await service.relay.lag() != 0:
        return False
    return all([await _caught_up(r) for r in service.runners.values()])


async def test_a_club_with_sixty_members_a_board_and_a_meeting(
    service: Service, nats_client: Client
) -> None:
    club = Club()
    await found(nats_client, club)
    await govern(nats_client, club)
    household = f"household-{UUID(int=1)}"  # written after the admissions and the board

    # Read-your-writes: the roster waits until it has applied our poverty certificate, so
    # everything committed before it (club, members, board) is in too.
    roster = await query(nats_client, "ClubRoster", stream=household,
                         min_version=club.last[household], club_id=club.club_id)  # fmt: skip
    assert not roster["stale"]
    assert roster["active_members"] == 60
    assert roster["club"]["status"] == "active"
    assert roster["club"]["admin_unit"] == "79:25750"
    units = {u["scheme"]: u for u in roster["admin_units"]}
    assert units["legacy_63"]["province_code"] == "74"
    assert units["2025_34"]["ward_name"] == "Phường Phú Lợi"
    by_id = {m["member_id"]: m for m in roster["members"]}
    chair = by_id[str(club.members[0][0])]
    assert "board:chair" in chair["roles"]
    assert chair["categories"]["poor_or_near_poor"]  # household 1 is certified poor
    assert roster["board_size_typical"]

    await wait_until(lambda: _all_caught_up(service), timeout=30, message="projections lag")
    roster = await query(nats_client, "ClubRoster", club_id=club.club_id)
    volunteer = next(m for m in roster["members"] if m["member_id"] == str(club.members[5][0]))
    assert volunteer["roles"] == ["member", "volunteer"]
    composition = await query(nats_client, "ClubComposition", club_id=club.club_id,
                              as_of="2026-01-01")  # fmt: skip
    assert composition["members"] == 60
    assert composition["women"] == 40 and composition["older"] == 42
    # 60 members, 66.7% women, 70% aged 60+: inside every target.
    assert composition["in_range"] is True and composition["out_of_range"] == []

    attendance = await query(nats_client, "MeetingAttendance", club_id=club.club_id)
    (meeting,) = attendance["meetings"]
    assert (meeting["present"], meeting["excused"], meeting["expected"]) == (45, 5, 60)
    assert meeting["rate"] == 0.75
    (decision,) = attendance["decisions"]
    assert decision["decision_id"] == str(club.decision_id)
    assert decision["amount"] == 5_000_000

    profile = await query(nats_client, "PersonProfile", person_id=club.members[0][1])
    assert profile["full_name"] == "Thành viên 00"
    assert profile["memberships"][0]["club_id"] == str(club.club_id)


async def test_events_are_on_the_membership_stream_with_their_metadata(
    service: Service, nats_client: Client
) -> None:
    club = Club()
    await found(nats_client, club, size=3)
    await wait_until(lambda: _all_caught_up(service), timeout=30, message="relay lag")
    js = nats_client.jetstream()
    info = await js.stream_info("MEMBERSHIP")
    assert info.state.messages == 5  # club, charter, 3 members
    small = await query(nats_client, "ClubComposition", club_id=club.club_id)
    # A soft target: three members were admitted, and the projection flags the size.
    assert "size" in {f["measure"] for f in small["out_of_range"]}
    by_command = {env.command_id: env for env in club.commands}
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg("MEMBERSHIP", seq=seq)
        body = json.loads(msg.data or b"{}")
        meta = body["metadata"]
        command = by_command[UUID(meta["command_id"])]
        assert msg.subject == f"ishc.membership.{body['stream_type']}.{body['type'].split('.')[1]}"
        assert meta["actor"] == SECRETARY.model_dump()
        assert meta["club_id"] == str(club.club_id)
        assert meta["correlation_id"] == str(command.correlation_id)
        assert meta["causation_id"] == str(command.command_id)
        assert (msg.headers or {})["Nats-Msg-Id"] == body["event_id"]


async def test_bad_input_is_refused_with_the_field_named_and_nothing_appended(
    service: Service, nats_client: Client
) -> None:
    club = Club()
    unknown = await run(nats_client, club, "AdmitMember", member_id=new_id(),
                        club_id=club.club_id, person_id=new_id(), full_name="Lan",
                        sex="female", joined_on=FOUNDED)  # fmt: skip
    assert unknown.problem is not None and unknown.problem.type == "unknown-club"
    assert [e.field for e in unknown.problem.errors] == ["club_id"]
    await found(nats_client, club, size=1)
    events = await service.context.pool.fetchval("SELECT count(*) FROM events")
    member_id, person_id = club.members[0]
    again = await run(nats_client, club, "AdmitMember", member_id=new_id(),
                      club_id=club.club_id, person_id=person_id, full_name="Lan",
                      sex="female", joined_on=FOUNDED)  # fmt: skip
    assert again.problem is not None and again.problem.type == "duplicate-admission"
    early = await run(nats_client, club, "RecordMemberExit", member_id=member_id,
                      person_id=person_id, left_on="2025-01-01", reason="moved")  # fmt: skip
    assert early.problem is not None and early.problem.type == "invalid-date"
    assert [e.field for e in early.problem.errors] == ["left_on"]
    seats = [{"member_id": str(member_id), "role": r} for r in ("chair", "bookkeeper", "treasurer")]
    board = await run(nats_client, club, "ElectBoard", club_id=club.club_id,
                      board_term_id=new_id(), term_starts_on=FOUNDED, seats=seats)  # fmt: skip
    assert board.problem is not None and board.problem.type == "board-rule"
    assert await service.context.pool.fetchval("SELECT count(*) FROM events") == events


async def test_each_projection_rebuilt_from_the_stream_equals_the_live_one(
    service: Service, nats_client: Client
) -> None:
    club = Club()
    await found(nats_client, club, size=12)
    await govern(nats_client, club)
    await run(nats_client, club, "RecordMemberExit", member_id=club.members[11][0],
              person_id=club.members[11][1], left_on="2025-11-30", reason="moved")  # fmt: skip
    await run(nats_client, club, "UpdateMemberProfile", person_id=club.members[10][1],
              village="Thôn 3", cleared=["birth_date"])  # fmt: skip
    await wait_until(lambda: _all_caught_up(service), timeout=30, message="live lagging")
    pool = service.context.pool
    live: dict[str, Any] = {}
    async with pool.acquire() as conn:
        for runner in service.runners.values():
            for table in runner.projection.tables:
                live[table] = await table_rows(conn, table)
    service.stopping.set()  # stop the live runners before emptying their tables
    for task in service._tasks:
        await task
    for name, runner in service.runners.items():
        async with pool.acquire() as conn:
            await reset_projection(conn, runner.projection)
        fresh = ProjectionRunner(pool, nats_client, runner.projection,
                                 service.definition.registry, poll_interval=0.05)  # fmt: skip
        async with running(fresh.run):
            await wait_until(partial(_caught_up, fresh), timeout=30, message=f"{name} lags")
        async with pool.acquire() as conn:
            for table in runner.projection.tables:
                assert await table_rows(conn, table) == live[table], f"{name}: {table}"
    assert len(live["membership_roster"]) == 12
    assert len(live["membership_attendance_marks"]) == 12  # all twelve marked present


async def test_events_carry_their_club_even_when_the_request_names_none(
    service: Service, nats_client: Client
) -> None:
    club = Club()
    await found(nats_client, club, size=1)
    member_id, person_id = club.members[0]
    unscoped = CommandEnvelope(
        command_id=new_id(), type="RecordMemberExit", actor=SECRETARY,
        payload={"member_id": str(member_id), "person_id": str(person_id),
                 "left_on": "2025-12-01", "reason": "withdrew"},
    )  # fmt: skip
    reply = await send_command(nats_client, "membership", unscoped)
    assert reply.ok, reply.problem
    club_of_exit = await service.context.pool.fetchval(
        "SELECT metadata->>'club_id' FROM events WHERE type = 'membership.MemberLeft'"
    )
    assert club_of_exit == str(club.club_id)

    elsewhere = CommandEnvelope(
        command_id=new_id(), type="AdoptCharter", actor=SECRETARY, club_id=new_id(),
        payload={"club_id": str(club.club_id), "charter_version": 2, "adopted_on": "2025-12-01"},
    )  # fmt: skip
    refused = await send_command(nats_client, "membership", elsewhere)
    # Another club's object is answered like an unknown one (ishc_runtime.ownership).
    assert refused.problem is not None and refused.problem.type == "not-found"
    assert refused.problem.status == 404
    assert str(club.club_id) not in refused.problem.model_dump_json()
