"""What a command or query handler can use: the store, the command path, the clock, the pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from ishc_contracts import CommandEnvelope, EventRegistry
from ishc_runtime.aggregates import Repository
from ishc_runtime.clock import Clock
from ishc_runtime.commands import CommandProcessor
from ishc_runtime.scheduler import Scheduler
from ishc_runtime.service.routes import Routes
from ishc_runtime.store.eventstore import EventStore


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

    @classmethod
    def build(
        cls,
        service: str,
        pool: asyncpg.Pool,
        registry: EventRegistry,
        clock: Clock,
        routes: Routes,
    ) -> ServiceContext:
        store = EventStore(pool)
        repository = Repository(store, registry)
        built: list[ServiceContext] = []

        async def dispatch(command: CommandEnvelope) -> dict[str, Any]:
            # Timers fire through the same routes as requests from outside.
            return await routes.run(built[0], command)

        context = cls(
            service=service,
            pool=pool,
            store=store,
            repository=repository,
            processor=CommandProcessor(store, repository),
            registry=registry,
            clock=clock,
            scheduler=Scheduler(pool, clock, dispatch),
        )
        built.append(context)
        return context
