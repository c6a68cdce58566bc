"""The sample domain wired as a service (routes, a projection, SQL): what every real service
looks like, small enough to test the runtime's service plumbing end to end."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts import Command, CommandEnvelope, EventEnvelope, Query, QueryEnvelope
from ishc_contracts.errors import NotFound
from ishc_runtime.projections import Projection, Write, entity_id, update_entity
from ishc_runtime.service import Routes, ServiceContext, ServiceDefinition
from ishc_runtime.service.consistency import caught_up
from ishc_runtime.store.migrations import MigrationSource
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    SAMPLE_SERVICE,
    AccountOpened,
    Deposited,
    deposit,
    open_account,
    sample_registry,
)


class OpenAccount(Command):
    service: ClassVar[str] = SAMPLE_SERVICE
    account_id: UUID
    owner: str = Field(min_length=1, max_length=200)


class Deposit(Command):
    service: ClassVar[str] = SAMPLE_SERVICE
    account_id: UUID
    amount: int = Field(gt=0, description="VND")


class Balance(Query):
    service: ClassVar[str] = SAMPLE_SERVICE
    account_id: UUID


routes = Routes()


@routes.command(OpenAccount)
async def handle_open(
    ctx: ServiceContext, env: CommandEnvelope, cmd: OpenAccount
) -> dict[str, Any]:
    stream = ACCOUNT.stream_id(cmd.account_id)
    return await ctx.processor.handle(env, ACCOUNT, stream, lambda s: open_account(s, cmd.owner))


@routes.command(Deposit)
async def handle_deposit(ctx: ServiceContext, env: CommandEnvelope, cmd: Deposit) -> dict[str, Any]:
    stream = ACCOUNT.stream_id(cmd.account_id)
    return await ctx.processor.handle(env, ACCOUNT, stream, lambda s: deposit(s, cmd.amount))


@routes.query(Balance)
async def balance(ctx: ServiceContext, env: QueryEnvelope, query: Balance) -> dict[str, Any]:
    async def version() -> int | None:
        found: int | None = await ctx.pool.fetchval(
            "SELECT version FROM balances WHERE account_id = $1", query.account_id
        )
        return found

    fresh = await caught_up(version, env.min_version)
    row = await ctx.pool.fetchrow(
        "SELECT owner, balance, version FROM balances WHERE account_id = $1", query.account_id
    )
    if row is None:
        raise NotFound(f"no account {query.account_id}", field="account_id")
    return {**dict(row), "stale": not fresh}


def balances_projection(source: str, owner: str) -> Projection:
    projection = Projection(
        name=f"{owner}_balances", sources=[source], policy="stop", tables=["balances"]
    )

    # Pure writers: the runner sends a run of them in one round trip.
    @projection.writes(AccountOpened)
    def opened(env: EventEnvelope, event: AccountOpened) -> list[Write]:
        return [
            Write(
                "INSERT INTO balances (account_id, owner, balance, version) VALUES ($1, $2, 0, $3)",
                (entity_id(env), event.owner, env.version),
            )
        ]

    @projection.writes(Deposited)
    def deposited(env: EventEnvelope, event: Deposited) -> list[Write]:
        return [
            update_entity(env, "balances", "account_id", "balance = balance + $3", event.amount)
        ]

    return projection


def sample_service(name: str) -> ServiceDefinition:
    """`name` is the service's bus name; tests give each run its own."""
    return ServiceDefinition(
        name=name,
        routes=routes,
        registry=sample_registry(),
        migrations=[MigrationSource.package("sample", "ishc_runtime.testing", "sample_sql")],
        projections=[balances_projection(name, name)],
    )
