"""Helpers for finance's integration tests: a context without NATS, a membership feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from nats.aio.client import Client

from finance.definition import definition
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, Event, EventMetadata, new_id
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.finance.events import LoanApplied, LoanApproved
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.clock import Clock, SystemClock
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.service import ServiceContext
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running


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
