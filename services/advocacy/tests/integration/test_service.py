"""The advocacy service over real NATS + Postgres, fed membership events by a relay on a
throwaway membership store, with a fake clock driving the durable timers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from nats.aio.client import Client

from advocacy.definition import definition
from advocacy.settings import Settings
from ishc_contracts import (
    SYSTEM_ACTOR,
    CommandEnvelope,
    Event,
    EventMetadata,
    QueryEnvelope,
    new_id,
)
from ishc_contracts.membership.events import (
    ConsentGiven,
    HouseholdPovertyStatusRecorded,
    MemberJoined,
    MemberLeft,
)
from ishc_runtime.clock import FakeClock, vn_at
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.rebuild import reset_projection
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.service import Service, ask, send_command
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

CLUB, HOUSEHOLD = new_id(), new_id()
PERSON, SPOUSE = new_id(), new_id()  # 74 (75 on 10 Dec 2025) and 77, no pension
MEMBER, SPOUSE_MEMBER = new_id(), new_id()
ROLLING = ["advocacy_claims", "advocacy_screenings", "advocacy_people"]


def command(kind: str, **payload: object) -> CommandEnvelope:
    body = {k: (str(v) if isinstance(v, UUID | date) else v) for k, v in payload.items()}
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=body)


async def membership_event(store: EventStore, stream: str, kind: str, event: Event) -> None:
    version = await store.stream_version(stream)
    meta = EventMetadata(
        correlation_id=new_id(),
        actor=SYSTEM_ACTOR,
        club_id=CLUB,
        occurred_at=datetime.now().astimezone(),
    )
    await store.append([StreamWrite(stream, kind, version, [event])], meta)


async def screened(
    pool: asyncpg.Pool, person: UUID, scheme: str, as_of: date
) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await pool.fetchval(
        "SELECT data FROM events WHERE type = 'advocacy.EligibilityScreened'"
        " AND data->>'person_id' = $1 AND data->>'scheme' = $2 AND data->>'as_of' = $3",
        str(person), scheme, as_of.isoformat(),
    )  # fmt: skip
    return found


def firing(service: Service, check: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
    """Fire due timers (the scheduler loop is off: the test owns time) until `check` holds."""

    async def step() -> bool:
        await service.context.scheduler.fire_due()
        return await check()

    return step


async def test_a_member_crossing_75_is_screened_on_the_first_and_a_claim_is_approved(
    database_dsn: str,
    fresh_database: Any,
    infrastructure: Infrastructure,
    nats_client: Client,
    service_streams: None,
) -> None:
    membership_dsn = await fresh_database("membership_feed")
    await migrate(membership_dsn)
    membership = await create_pool(membership_dsn)
    store = EventStore(membership)
    clock = FakeClock(vn_at(date(2025, 11, 20), time(9)))
    settings = Settings(
        database_url=database_dsn, nats_url=infrastructure.nats_url, run_scheduler=False
    )
    relay = Relay(membership, nats_client, RelayConfig(service="membership", poll_interval=0.05))
    try:
        async with Service(definition(), settings, clock=clock) as service, running(relay.run):
            await _scenario(service, store, clock, nats_client)
            await _rebuild_equals_live(service, nats_client)
    finally:
        await membership.close()


async def _send(nc: Client, kind: str, **payload: object) -> dict[str, Any]:
    reply = await send_command(nc, "advocacy", command(kind, **payload))
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


async def _ask(nc: Client, kind: str, stream: str | None = None, version: int | None = None,
               **params: object) -> dict[str, Any]:  # fmt: skip
    query = QueryEnvelope(
        type=kind, actor=SYSTEM_ACTOR, params={k: str(v) for k, v in params.items()},
        stream_id=stream, min_version=version,
    )  # fmt: skip
    reply = await ask(nc, "advocacy", query)
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


async def _scenario(service: Service, store: EventStore, clock: FakeClock, nc: Client) -> None:
    pool = service.context.pool
    for person in (PERSON, SPOUSE):
        await _send(nc, "RecordBenefitFacts", person_id=person, club_id=CLUB,
                    recorded_on=date(2025, 11, 20), monthly_pension=0)  # fmt: skip
    for member, person, name, born in (
        (MEMBER, PERSON, "Nguyễn Văn Bình", date(1950, 12, 10)),
        (SPOUSE_MEMBER, SPOUSE, "Trần Thị Hoa", date(1948, 3, 2)),
    ):
        joined = MemberJoined(
            member_id=member, club_id=CLUB, person_id=person, household_id=HOUSEHOLD,
            full_name=name, sex="male", birth_date=born, joined_on=date(2025, 11, 20),
        )  # fmt: skip
        await membership_event(store, f"member-{member}", "member", joined)
        # They agreed to their file going to public offices (checked at submission).
        sharing = ConsentGiven(
            consent_id=new_id(), person_id=person, club_id=CLUB, purpose="share_with_commune",
            given_on=date(2025, 11, 20), method="written",
        )  # fmt: skip
        await membership_event(store, f"member-{member}", "member", sharing)
    status = HouseholdPovertyStatusRecorded(
        household_id=HOUSEHOLD, club_id=CLUB, status="none", standard="2022-2025",
        valid_from=date(2025, 1, 1), person_ids=(PERSON, SPOUSE),
    )  # fmt: skip
    await membership_event(store, f"household-{HOUSEHOLD}", "household", status)

    # On joining: the 77-year-old is eligible now; the 74-year-old is not (yet).
    today = date(2025, 11, 20)

    async def joined_screenings() -> bool:
        spouse = await screened(pool, SPOUSE, "social_pension", today)
        person = await screened(pool, PERSON, "social_pension", today)
        return spouse is not None and person is not None

    await wait_until(firing(service, joined_screenings), timeout=30, message="no screening")
    spouse = await screened(pool, SPOUSE, "social_pension", today)
    assert spouse is not None and spouse["result"] == "eligible"
    his = await screened(pool, PERSON, "social_pension", today)
    assert his is not None and his["result"] != "eligible"
    first = date(2026, 1, 1)
    assert await screened(pool, PERSON, "social_pension", first) is None

    # He turns 75 on 10 Dec: the timer screens him at the start of 1 January (VN time).
    clock.set(vn_at(date(2025, 12, 31), time(23, 59)))
    await service.context.scheduler.fire_due()  # what is due by then, not the 75th
    assert await screened(pool, PERSON, "social_pension", first) is None
    clock.set(vn_at(first, time(0, 1)))

    async def at_75() -> bool:
        return await screened(pool, PERSON, "social_pension", first) is not None

    await wait_until(firing(service, at_75), timeout=30, message="no screening at 75")
    event = await screened(pool, PERSON, "social_pension", first)
    assert event is not None
    assert (event["result"], event["expected_monthly_amount"]) == ("eligible", 500_000)
    assert event["trigger"] == "age_75" and event["facts"]["age"] == 75
    assert event["parameters_version"] and event["rule_version"].startswith("social_pension/")

    # The claim: opened from that screening, documents, submission, overdue, approval.
    case = new_id()
    await _send(nc, "OpenEntitlementCase", case_id=case, person_id=PERSON, club_id=CLUB,
                scheme="social_pension", opened_on=date(2026, 1, 2), trigger="screening",
                screening_id=event["screening_id"])  # fmt: skip
    # Facts are dated today at the latest (ishc_contracts.bounds): the days go by.
    clock.set(vn_at(date(2026, 1, 6), time(8)))
    await _send(nc, "MarkDocumentsReady", case_id=case, ready_on=date(2026, 1, 5))
    await _send(nc, "RecordSubmission", case_id=case, submitted_on=date(2026, 1, 6),
                office="79:26734")  # fmt: skip
    timer = await service.context.scheduler.get(f"sla:{case}")
    assert timer is not None and timer.due_at == vn_at(date(2026, 1, 21), time(0))
    clock.set(vn_at(date(2026, 1, 21), time(8)))
    assert await service.context.scheduler.fire_due() == 1
    stream = f"case-{case}"
    claims = await _ask(nc, "OpenClaims", stream=stream, version=4, club_id=CLUB)
    assert claims["by_stage"] == {"submitted": 1} and claims["overdue"] == 1
    assert not claims["stale"]
    approved = await _send(nc, "RecordDecision", case_id=case, decided_on=date(2026, 1, 22),
                           outcome="approved", monthly_amount=500_000,
                           payable_from=date(2026, 1, 1))  # fmt: skip
    version = approved["streams"][stream]
    helped = await _ask(nc, "HouseholdsHelped", stream=stream, version=version, club_id=CLUB)
    assert (helped["households"], helped["approved_claims"], helped["stale"]) == (1, 1, False)

    # The outreach worklist: the spouse is eligible and nobody claimed for her yet.
    async def listed() -> set[tuple[str, str]]:
        worklist = await _ask(nc, "UnclaimedWorklist", club_id=CLUB)
        return {(str(row["person_id"]), row["scheme"]) for row in worklist["people"]}

    async def spouse_listed() -> bool:
        return (str(SPOUSE), "social_pension") in await listed()

    await wait_until(spouse_listed, timeout=30, message="spouse not on the worklist")
    assert (str(PERSON), "social_pension") not in await listed()  # he has a case

    # He dies: a funeral-support case opens for a social-pension recipient (dated the day
    # he died, which is then no later than today).
    clock.set(vn_at(date(2026, 3, 2), time(9)))
    left = MemberLeft(member_id=MEMBER, club_id=CLUB, person_id=PERSON,
                      left_on=date(2026, 3, 2), reason="died")  # fmt: skip
    await membership_event(store, f"member-{MEMBER}", "member", left)

    async def funeral_opened() -> bool:
        found = await _ask(nc, "OpenClaims", club_id=CLUB)
        return any(row["scheme"] == "funeral_support" for row in found["claims"])

    await wait_until(funeral_opened, timeout=30, message="no funeral-support case")


async def _caught_up(runner: ProjectionRunner) -> bool:
    return all(lag == 0 for lag in (await runner.lag()).values())


async def _rebuild_equals_live(service: Service, nc: Client) -> None:
    pool = service.context.pool
    relay = service.relay
    assert relay is not None
    runners = [service.runners[name] for name in ROLLING]

    async def live_caught_up() -> bool:
        return await relay.lag() == 0 and all([await _caught_up(r) for r in runners])

    await wait_until(live_caught_up, timeout=30, message="live projections lagging")
    tables = [table for r in runners for table in r.projection.tables]
    async with pool.acquire() as conn:
        live = {table: await table_rows(conn, table) for table in tables}
    service.stopping.set()  # stop the live runners before emptying their tables
    for task in service._tasks:
        await task
    async with pool.acquire() as conn:
        for runner in runners:
            await reset_projection(conn, runner.projection)
    rebuilt = [
        ProjectionRunner(pool, nc, r.projection, service.definition.registry, poll_interval=0.05)
        for r in runners
    ]

    async def rebuilt_caught_up() -> bool:
        return all([await _caught_up(r) for r in rebuilt])

    async with running(*(r.run for r in rebuilt)):
        await wait_until(rebuilt_caught_up, timeout=30, message="rebuild lagging")
    async with pool.acquire() as conn:
        for table in tables:
            assert await table_rows(conn, table) == live[table], table
    assert live["advocacy_claims"] and live["advocacy_people"]


async def test_the_1_july_2025_rule_date_makes_a_77_year_old_eligible(
    database_dsn: str,
    fresh_database: Any,
    infrastructure: Infrastructure,
    nats_client: Client,
    service_streams: None,
) -> None:
    membership_dsn = await fresh_database("membership_rule_date")
    await migrate(membership_dsn)
    membership = await create_pool(membership_dsn)
    store = EventStore(membership)
    clock = FakeClock(vn_at(date(2025, 5, 10), time(9)))
    settings = Settings(
        database_url=database_dsn, nats_url=infrastructure.nats_url, run_scheduler=False
    )
    relay = Relay(membership, nats_client, RelayConfig(service="membership", poll_interval=0.05))
    elder, member = new_id(), new_id()
    try:
        async with Service(definition(), settings, clock=clock) as service, running(relay.run):
            pool = service.context.pool
            await _send(nats_client, "RecordBenefitFacts", person_id=elder, club_id=CLUB,
                        recorded_on=date(2025, 5, 10), monthly_pension=0)  # fmt: skip
            joined = MemberJoined(
                member_id=member, club_id=CLUB, person_id=elder, full_name="Lê Thị Tám",
                sex="female", birth_date=date(1948, 3, 2), joined_on=date(2025, 5, 10),
            )  # fmt: skip
            await membership_event(store, f"member-{member}", "member", joined)

            async def in_may() -> bool:
                return await screened(pool, elder, "social_pension", date(2025, 5, 10)) is not None

            await wait_until(firing(service, in_may), timeout=30, message="no screening in May")
            may = await screened(pool, elder, "social_pension", date(2025, 5, 10))
            assert may is not None and may["result"] == "not_eligible"
            assert may["reasons"] == ["scheme_not_in_force"]

            clock.set(vn_at(date(2025, 6, 30), time(23, 59)))
            await service.context.scheduler.fire_due()
            july = date(2025, 7, 1)
            assert await screened(pool, elder, "social_pension", july) is None
            clock.set(vn_at(july, time(0, 1)))

            async def in_july() -> bool:
                return await screened(pool, elder, "social_pension", july) is not None

            await wait_until(firing(service, in_july), timeout=30, message="no screening in July")
            screening = await screened(pool, elder, "social_pension", july)
            assert screening is not None
            assert (screening["result"], screening["expected_monthly_amount"]) == (
                "eligible",
                500_000,
            )
            assert screening["trigger"] == "rule_date_2025-07-01"
    finally:
        await membership.close()
