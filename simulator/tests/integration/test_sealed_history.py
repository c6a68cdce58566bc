"""Given the services' master keys, the simulated history is sealed as the services seal it:
`make run`'s demo stores hold no personal value in clear, invented or not."""

from __future__ import annotations

import json
from dataclasses import replace

import asyncpg
import pytest

from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.privacy import LocalMasterKeys, is_sealed, new_key
from ishc_simulator.load import simulate
from ishc_simulator.world import Params

pytestmark = pytest.mark.integration

SMALL = replace(
    Params(), clubs=1, provinces=1, years=1, start_year=2025, members_per_club=8, seed=5
)


async def test_the_simulated_history_is_sealed_with_the_services_keys(database_dsn: str) -> None:
    params = replace(SMALL, services=("membership",))
    keys = LocalMasterKeys("k1", {"k1": new_key()})

    stats = await simulate(params, {"membership": database_dsn}, {"membership": keys})

    assert stats.events["membership"] > 0
    conn = await asyncpg.connect(database_dsn)
    try:
        rows = await conn.fetch("SELECT type, data::text AS data FROM events")
    finally:
        await conn.close()
    marked = [
        (row["type"], name, value)
        for row in rows
        for name in REGISTRY.sensitive(row["type"])
        if (value := json.loads(row["data"]).get(name)) is not None
    ]
    assert len(marked) >= params.members_per_club  # a name per member at least
    assert [(kind, name) for kind, name, value in marked if not is_sealed(value)] == []
