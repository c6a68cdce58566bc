"""What a command or query handler can use: the store, the command path, the clock, the pool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from ishc_contracts import CommandEnvelope, EventRegistry
from ishc_contracts.operations import ProjectionSourceStatus
from ishc_runtime.aggregates import Repository
from ishc_runtime.clock import Clock
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.leases import Leases
from ishc_runtime.ownership import Ownership
from ishc_runtime.privacy import Privacy
from ishc_runtime.scheduler import Scheduler
from ishc_runtime.service.routes import Routes
from ishc_runtime.store.eventstore import EventStore

StatusReader = Callable[[], Awaitable[Sequence[ProjectionSourceStatus]]]
# Commands of a round of timers run at once: each holds a connection of the service's pool
# (10 by default) while it runs, and requests and projections need theirs too.
TIMER_CONCURRENCY = 4


@dataclass(frozen=True)
class ServiceContext:
    service: str
    pool: asyncpg.Pool
    store: EventStore
    repository: Repository
    processor: CommandProcessor
    registry: EventRegistry
    clock: Clock
    scheduler: Scheduler
    # How this service's projections stand (lag, parked events), for an answer that must say
    # what it was built from. Only a running `Service` knows: elsewhere it is None.
    projection_status: StatusReader | None = None
    # The service's ownership directory and check (None: nothing is checked, as in tests of
    # a domain alone).
    ownership: Ownership | None = None

    @classmethod
    def build(
        cls,
        service: str,
        pool: asyncpg.Pool,
        registry: EventRegistry,
        clock: Clock,
        routes: Routes,
        projection_status: StatusReader | None = None,
        leases: Leases | None = None,
        ownership: Ownership | None = None,
        privacy: Privacy | None = None,
    ) -> ServiceContext:
        store = EventStore(pool, privacy=privacy)
        repository = Repository(store, registry)
        built: list[ServiceContext] = []

        async def dispatch(command: CommandEnvelope) -> dict[str, Any]:
            # Timers fire through the same routes as requests from outside.
            return await routes.run(built[0], command)

        async def dispatch_many(commands: Sequence[CommandEnvelope]) -> list[Any]:
            ctx = built[0]
            return await routes.run_many(ctx, commands, concurrency=ctx.scheduler.concurrency)

        context = cls(
            service=service,
            pool=pool,
            store=store,
            repository=repository,
            processor=CommandProcessor(store, repository, ownership=ownership),
            registry=registry,
            clock=clock,
            # A service's timers of a round run together, a few at a time: a burst of them
            # (a province's screenings) settles in seconds, not minutes (issue #19).
            scheduler=Scheduler(
                pool,
                clock,
                dispatch,
                dispatch_many=dispatch_many,
                concurrency=TIMER_CONCURRENCY,
                leases=leases,
            ),
            projection_status=projection_status,
            ownership=ownership,
        )
        built.append(context)
        return context
