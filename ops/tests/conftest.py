"""A small service (the runtime's sample accounts) for driving `ishc` against real NATS and
Postgres: its store, relay and projection runner run in the test, the CLI in a thread."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.js.errors import NotFoundError
from typer.testing import CliRunner, Result

from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id, subjects
from ishc_contracts.events import Sensitive
from ishc_ops.cli import app
from ishc_ops.targets import use_definition
from ishc_runtime.projections import Projection, ProjectionRunner, Write
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.sequencer import assign_sequence
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_domain import ACCOUNT, AccountOpened, Deposited
from ishc_runtime.testing.sample_service import sample_service

POISON = 13
MakeDatabase = Callable[[str], Awaitable[str]]


class PhoneNoted(Event):
    """An event with a sensitive field, to see masking."""

    service: ClassVar[str] = "sample"
    aggregate: ClassVar[str] = "account"
    phone: str | None = Sensitive("contact", default=None)
    note: str = ""


@dataclass
class World:
    name: str
    dsn: str
    nats_url: str
    definition: ServiceDefinition
    pool: asyncpg.Pool
    nc: Client
    broken: dict[str, bool] = field(default_factory=lambda: {"yes": True})

    @property
    def store(self) -> EventStore:
        return EventStore(self.pool)

    def relay(self) -> Relay:
        return Relay(self.pool, self.nc, RelayConfig(service=self.name, poll_interval=0.05))

    def runner(self, projection: str | None = None) -> ProjectionRunner:
        chosen = next(p for p in self.definition.projections if projection in (None, p.name))
        return ProjectionRunner(
            self.pool, self.nc, chosen, self.definition.registry, batch_size=50, poll_interval=0.1
        )

    async def append(self, account: UUID, *events: Event, club: UUID | None = None) -> None:
        stream = ACCOUNT.stream_id(account)
        meta = EventMetadata(
            correlation_id=new_id(),
            actor=SYSTEM_ACTOR,
            occurred_at=datetime.now(UTC),
            club_id=club,
        )
        version = await self.store.stream_version(stream)
        await self.store.append([StreamWrite(stream, "account", version, list(events))], meta)

    async def open_with(self, *amounts: int, club: UUID | None = None) -> UUID:
        account = new_id()
        await self.append(account, AccountOpened(owner="Lan"), club=club)
        for amount in amounts:
            await self.append(account, Deposited(amount=amount), club=club)
        return account

    async def sequence(self) -> None:
        """Give committed events their seq (the relay's sequencer does this when it runs)."""
        async with self.pool.acquire() as conn:
            await assign_sequence(conn)

    async def stream_messages(self) -> int:
        try:
            info = await self.nc.jetstream().stream_info(subjects.stream_name(self.name))
        except NotFoundError:
            return 0
        return int(info.state.messages)

    def args(self, *args: str, nats: bool = True) -> list[str]:
        extra = ["--database-url", self.dsn]
        if nats:
            extra += ["--nats-url", self.nats_url]
        return [*args, *extra]

    async def ishc(self, *args: str, nats: bool = True, input: str | None = None) -> Result:
        """Run `ishc` as an operator would (its own event loop, in a thread)."""
        return await asyncio.to_thread(
            CliRunner().invoke, app, self.args(*args, nats=nats), input=input
        )

    async def ishc_raw(self, *args: str, input: str | None = None) -> Result:
        """`ishc` with only the arguments given (no database or NATS URL added)."""
        return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=input)

    async def ishc_json(self, *args: str, nats: bool = True) -> Any:
        result = await self.ishc(*args, "--json", nats=nats)
        assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
        return json.loads(result.stdout)


def parking_balances(name: str, broken: dict[str, bool]) -> Projection:
    """The sample balances read model with `park` policy and a handler that fails on 13."""
    projection = Projection(
        name=f"{name}_balances",
        sources=[name],
        policy="park",
        max_attempts=2,
        backoff_seconds=0.01,
        tables=["balances"],
    )

    @projection.writes(AccountOpened)
    def opened(env: EventEnvelope, event: AccountOpened) -> list[Write]:
        return [
            Write(
                "INSERT INTO balances (account_id, owner, balance, version) VALUES ($1, $2, 0, $3)",
                (UUID(env.stream_id.removeprefix("account-")), event.owner, env.version),
            )
        ]

    @projection.writes(Deposited)
    def deposited(env: EventEnvelope, event: Deposited) -> list[Write]:
        if event.amount == POISON and broken["yes"]:
            raise RuntimeError("cannot handle thirteen")
        return [
            Write(
                "UPDATE balances SET balance = balance + $2, version = $3 WHERE account_id = $1",
                (UUID(env.stream_id.removeprefix("account-")), event.amount, env.version),
            )
        ]

    return projection


@pytest_asyncio.fixture(loop_scope="session")
async def world(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str, nats_client: Client
) -> AsyncIterator[World]:
    name = f"sample{stream_suffix}"
    base = sample_service(name)
    base.registry.register(PhoneNoted)
    broken = {"yes": True}
    definition = replace(base, projections=[parking_balances(name, broken)])
    await migrate(database_dsn, *definition.migrations)
    pool = await create_pool(database_dsn)
    try:
        with use_definition(definition, aggregates=[ACCOUNT]):
            yield World(
                name, database_dsn, infrastructure.nats_url, definition, pool, nats_client, broken
            )
    finally:
        await pool.close()


@pytest.fixture
def stopping_definition(world: World) -> Iterator[ServiceDefinition]:
    """The unchanged sample service (a `stop` balances projection) under the world's name."""
    definition = sample_service(world.name)
    with use_definition(definition, aggregates=[ACCOUNT]):
        yield definition
