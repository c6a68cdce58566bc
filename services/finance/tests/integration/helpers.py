"""Helpers for finance's integration tests: a context without NATS, a membership feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
import pytest_asyncio
from nats.aio.client import Client

from finance.definition import definition
from ishc_contracts import (
    SYSTEM_ACTOR,
    CommandEnvelope,
    Event,
    EventMetadata,
    QueryEnvelope,
    new_id,
)
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.errors import Reply
from ishc_contracts.finance.events import LoanApplied, LoanApproved
from ishc_contracts.finance.ids import fund_id_for
from ishc_contracts.membership.events import ClubEstablished, MeetingDecisionRecorded, MemberJoined
from ishc_runtime.clock import Clock, SystemClock
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.service import Service, ServiceContext, ServiceSettings, ask, send_command
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until


def command(kind: str, **payload: Any) -> CommandEnvelope:
    encoded = {k: (str(v) if isinstance(v, UUID | date) else v) for k, v in payload.items()}
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=encoded)


@asynccontextmanager
async def finance_context(dsn: str, clock: Clock | None = None) -> AsyncIterator[ServiceContext]:
    """The service's context on its own database, without the bus: for direct command runs."""
    await migrate(dsn, MigrationSource.package("finance", "finance.projections"))
    pool = await create_pool(dsn, max_size=30)
    try:
        yield ServiceContext.build(
            "finance", pool, REGISTRY, clock or SystemClock(), definition().routes
        )
    finally:
        await pool.close()


def _metadata(club_id: UUID | None = None) -> EventMetadata:
    return EventMetadata(
        correlation_id=new_id(), actor=SYSTEM_ACTOR, club_id=club_id, occurred_at=datetime.now(UTC)
    )


async def append(store: EventStore, stream_type: str, entity: UUID, *events: Event) -> None:
    stream = f"{stream_type}-{entity}"
    version = await store.stream_version(stream)
    await store.append([StreamWrite(stream, stream_type, version, list(events))], _metadata())


async def approved_loan(
    store: EventStore, club: UUID, member: UUID, principal: int, loan: UUID | None = None
) -> UUID:
    """A loan applied for and approved (history written directly, as a given)."""
    loan = loan or new_id()
    await append(
        store,
        "loan",
        loan,
        LoanApplied(
            loan_id=loan,
            club_id=club,
            fund_id=fund_id_for(club, "income_generation"),
            member_id=member,
            principal=principal,
            term_months=3,
            purpose="livestock",
            applied_on=date(2026, 1, 10),
        ),
        LoanApproved(
            loan_id=loan,
            club_id=club,
            principal=principal,
            term_months=3,
            interest_method="flat",
            monthly_interest_bp=50,
            approved_on=date(2026, 1, 15),
            meeting_id=new_id(),
            decision_id=new_id(),
        ),
    )
    return loan


class MembershipFeed:
    """A throwaway membership store whose relay publishes on the real `membership` stream."""

    def __init__(self, pool: asyncpg.Pool, nc: Client) -> None:
        self.pool = pool
        self.store = EventStore(pool)
        self.relay = Relay(pool, nc, RelayConfig(service="membership", poll_interval=0.05))

    async def emit(self, stream_type: str, entity: UUID, *events: Event) -> None:
        await append(self.store, stream_type, entity, *events)


@asynccontextmanager
async def membership_feed(dsn: str, nc: Client) -> AsyncIterator[MembershipFeed]:
    await migrate(dsn)
    pool = await create_pool(dsn, max_size=4)
    feed = MembershipFeed(pool, nc)
    await feed.relay.ensure_stream()
    try:
        async with running(feed.relay.run):
            yield feed
    finally:
        await pool.close()


def events_of(rows: Sequence[Any], kind: str) -> int:
    return sum(1 for row in rows if row["type"] == kind)


JAN = date(2026, 1, 10)


@dataclass
class World:
    service: Service
    feed: MembershipFeed
    nc: Client
    club: UUID
    members: list[UUID]

    async def send(self, kind: str, **payload: Any) -> Reply:
        return await send_command(self.nc, "finance", command(kind, **payload))

    async def ok(self, kind: str, **payload: Any) -> dict[str, Any]:
        reply = await self.send(kind, **payload)
        assert reply.ok and reply.result is not None, reply.problem
        return reply.result

    async def ask(self, kind: str, min_version: int | None = None, **params: Any) -> dict[str, Any]:
        query = QueryEnvelope(
            type=kind,
            actor=SYSTEM_ACTOR,
            params={k: str(v) for k, v in params.items()},
            min_version=min_version,
        )
        reply = await ask(self.nc, "finance", query)
        assert reply.ok and reply.result is not None, reply.problem
        return reply.result

    async def decision(self, loan: UUID | None, kind: str = "loan_approval") -> UUID:
        decision = new_id()
        await self.feed.emit(
            "meeting",
            new_id(),
            MeetingDecisionRecorded(
                meeting_id=new_id(),
                club_id=self.club,
                decision_id=decision,
                kind=kind,
                summary="approved at the monthly meeting",
                subject_id=loan,
            ),
        )
        await wait_until(
            lambda: self._exists("finance_decisions", "decision_id", decision), timeout=20
        )
        return decision

    async def _exists(self, table: str, column: str, value: UUID) -> bool:
        found = await self.service.context.pool.fetchval(
            f"SELECT count(*) FROM {table} WHERE {column} = $1", value
        )
        return bool(found)

    async def issued_loan(self, member: UUID, principal: int = 3_000_000) -> UUID:
        loan = new_id()
        await self.ok(
            "SubmitLoanApplication",
            loan_id=loan,
            club_id=self.club,
            member_id=member,
            principal=principal,
            term_months=3,
            purpose="livestock",
            applied_on=JAN,
        )
        decision = await self.decision(loan)
        await self.ok("ApproveLoan", loan_id=loan, decision_id=decision, approved_on=JAN)
        await self.ok("DisburseLoan", loan_id=loan, disbursed_on=JAN)
        return loan


@pytest_asyncio.fixture(loop_scope="session", name="world")
async def world_fixture(
    database_dsn: str,
    fresh_database: Any,
    infrastructure: Infrastructure,
    nats_client: Client,
    service_streams: None,
) -> AsyncIterator[World]:
    async with membership_feed(await fresh_database("membership_feed"), nats_client) as feed:
        settings = ServiceSettings(
            database_url=database_dsn, nats_url=infrastructure.nats_url, run_scheduler=False
        )
        async with Service(definition(), settings) as service:
            club, members = new_id(), [new_id(), new_id()]
            await feed.emit(
                "club",
                club,
                ClubEstablished(
                    club_id=club,
                    name="CLB Lien the he Hoa Binh",
                    admin_unit="17",
                    founded_on=date(2025, 6, 1),
                    meeting_day_of_month=21,
                ),
            )
            for n, member in enumerate(members):
                await feed.emit(
                    "member",
                    member,
                    MemberJoined(
                        member_id=member,
                        club_id=club,
                        person_id=new_id(),
                        household_id=new_id(),
                        full_name=f"Thanh vien {n}",
                        sex="female",
                        joined_on=date(2025, 6, 1),
                    ),
                )
            world = World(service, feed, nats_client, club, members)
            for member in members:
                await wait_until(
                    partial(world._exists, "finance_members", "member_id", member), timeout=20
                )
            await world.ok(
                "CapitaliseFund",
                club_id=club,
                fund_type="income_generation",
                amount=20_000_000,
                source="project",
                source_ref="VIE071",
                received_on=JAN,
            )
            yield world
