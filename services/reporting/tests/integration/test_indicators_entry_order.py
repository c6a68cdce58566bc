"""Every indicator (N1-N16) depends on what happened, not on the order it reached reporting
(issue #19): the hand-worked scenario of test_scenario.py (two clubs, members, households,
loans, care, claims) is projected with each stream's events in order but the streams
interleaved as keying them in any order would, and every indicator of every unit, at every
level, on both admin maps, for months, quarters and years, equals the one of the order it
was written in (whose figures test_scenario.py checks by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ishc_contracts import Event
from ishc_contracts.reporting.queries import Indicators
from ishc_runtime.store.migrations import migrate
from reporting.application.queries import indicators
from reporting.definition import definition

from . import scenario
from .ordering import apply, interleaved, restart

pytestmark = pytest.mark.integration

SERVICES = ("membership", "finance", "care", "advocacy")
PERIODS = ("2024", "2025-02", "2025-06", "2025-Q3", "2025-12", "2025", "2021-2025")
LEVELS = ("club", "commune", "province", "nation")
# The instant every event was keyed in: the same paper history, whatever the order.
KEYED_AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@dataclass
class Collected:
    """Stands in for a service's store: the events of each stream, in stream order."""

    service: str
    streams: dict[str, list[Event]] = field(default_factory=dict)

    async def publish(self, entity: object, *events: Event) -> None:
        stream_id = f"{events[0].aggregate}-{entity}"
        self.streams.setdefault(stream_id, []).extend(events)


Step = tuple[str, str, int, Event]  # (service, stream, version, event)


async def written() -> list[Step]:
    """The scenario's events in the order it writes them: service by service."""
    feeds = {service: Collected(service) for service in SERVICES}
    await scenario.publish_all(feeds)  # type: ignore[arg-type]
    return [
        (service, stream, version, event)
        for service in SERVICES
        for stream, events in feeds[service].streams.items()
        for version, event in enumerate(events, 1)
    ]


async def project(conn: asyncpg.Connection, steps: Sequence[Step]) -> None:
    await restart(conn)
    for _service, stream, version, event in steps:
        await apply(conn, stream, version, event, KEYED_AT)


async def every_indicator(conn: asyncpg.Connection) -> dict[tuple[str, str, str], Any]:
    out: dict[tuple[str, str, str], Any] = {}
    for scheme in ("2025_34", "legacy_63"):
        for period in PERIODS:
            for level in LEVELS:
                query = Indicators(period=period, level=level, scheme=scheme, threshold=1)
                reports = await indicators(conn, query)
                out[(scheme, period, level)] = sorted(
                    (r.unit, r.name, sorted(r.indicators.items(), key=str)) for r in reports
                )
    return out


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False))
async def test_every_indicator_is_the_same_whatever_order_the_streams_arrive_in(
    database_dsn: str, rng: Any
) -> None:
    await migrate(database_dsn, *definition().migrations)
    steps = await written()
    conn = await asyncpg.connect(database_dsn)
    try:
        await project(conn, steps)
        want = await every_indicator(conn)
        assert any(units for units in want.values())  # the scenario shows in the reports
        orders = {
            "services in reverse": sorted(steps, key=lambda s: -SERVICES.index(s[0])),
            "streams interleaved": interleaved(steps, lambda step: step[1], rng),
        }
        for name, order in orders.items():
            await project(conn, order)
            assert await every_indicator(conn) == want, name
    finally:
        await conn.close()
