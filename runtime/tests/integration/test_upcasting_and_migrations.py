"""Stored history outlives the code that wrote it: old event shapes are upcast on load, and
applied migrations are never silently changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import pytest
from pydantic import BaseModel, ConfigDict

from ishc_contracts import SYSTEM_ACTOR, Event, EventMetadata, EventRegistry, new_id
from ishc_runtime.aggregates import Aggregate, Repository
from ishc_runtime.store.eventstore import EventStore
from ishc_runtime.store.migrations import MigrationChanged, MigrationSource, migrate

pytestmark = pytest.mark.integration


class FeePaid(Event):
    """v2 split v1's `amount_text` ("50000 VND") into an integer amount and a currency."""

    service: ClassVar[str] = "sample"
    aggregate: ClassVar[str] = "fee"
    schema_version: ClassVar[int] = 2
    amount: int
    currency: str


class Fees(BaseModel):
    model_config = ConfigDict(frozen=True)
    total: int = 0


def evolve(state: Fees, event: Event) -> Fees:
    assert isinstance(event, FeePaid)
    return Fees(total=state.total + event.amount)


def fee_registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register(FeePaid)

    @registry.upcaster("sample.FeePaid", 1)
    def split_amount(data: dict[str, Any]) -> dict[str, Any]:
        amount, currency = data.pop("amount_text").split()
        return {**data, "amount": int(amount), "currency": currency}

    return registry


async def test_an_event_stored_at_version_1_loads_as_version_2(pool: asyncpg.Pool) -> None:
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    # Written the way the old code wrote it, straight into the store.
    await pool.execute(
        "INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version,"
        " data, metadata) VALUES ($1, 'fee-1', 'fee', 1, 'sample.FeePaid', 1, $2, $3)",
        new_id(),
        {"amount_text": "50000 VND"},
        meta.model_dump_json(),
    )
    fees = Aggregate(stream_type="fee", initial=Fees(), evolve=evolve, snapshot_every=None)

    loaded = await Repository(EventStore(pool), fee_registry()).load(fees, "fee-1")

    assert loaded.state.total == 50_000
    assert loaded.version == 1


async def test_migrations_apply_once_and_refuse_an_edited_file(
    database_dsn: str, tmp_path: Path
) -> None:
    script = tmp_path / "0001_things.sql"
    script.write_text("CREATE TABLE things (id int PRIMARY KEY);")
    source = MigrationSource("things", tmp_path)

    assert await migrate(database_dsn, source) != []
    assert await migrate(database_dsn, source) == []

    script.write_text("CREATE TABLE things (id bigint PRIMARY KEY);")
    with pytest.raises(MigrationChanged, match=r"0001_things\.sql"):
        await migrate(database_dsn, source)
