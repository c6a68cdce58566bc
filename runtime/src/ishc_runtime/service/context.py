"""What a command or query handler can use: the store, the command path, the clock, the pool."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from ishc_contracts import EventRegistry
from ishc_runtime.aggregates import Repository
from ishc_runtime.clock import Clock
from ishc_runtime.commands import CommandProcessor
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

    @classmethod
    def build(
        cls, service: str, pool: asyncpg.Pool, registry: EventRegistry, clock: Clock
    ) -> ServiceContext:
        store = EventStore(pool)
        repository = Repository(store, registry)
        return cls(
            service=service,
            pool=pool,
            store=store,
            repository=repository,
            processor=CommandProcessor(store, repository),
            registry=registry,
            clock=clock,
        )
