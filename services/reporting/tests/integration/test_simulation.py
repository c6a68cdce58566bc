"""A tiny national network from the simulator (all four services' domain code), loaded in
bulk through the event stores, published by the relays and caught up by every reporting
projection without a parked event; totals agree with what was simulated and across maps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from nats.aio.client import Client

from ishc_runtime.service import Service
from ishc_simulator.load import load_plans
from ishc_simulator.world import Params, plan_network

from .helpers import Feed, caught_up, indicators, units

pytestmark = pytest.mark.integration

TINY = replace(
    Params(), clubs=6, provinces=3, years=3, start_year=2023, members_per_club=20,
    care_per_club=1.0, claims_per_club_year=2.0, seed=11,
)  # fmt: skip


async def test_a_simulated_network_through_every_projection(
    reporting: Service,
    feeds: dict[str, Feed],
    nats_client: Client,
) -> None:
    plans = plan_network(TINY)
    stores = {service: feed.store for service, feed in feeds.items()}
    stats = await load_plans(plans, TINY, stores, batch=500)
    assert stats.clubs == TINY.clubs
    assert set(stats.events) == {"membership", "finance", "care", "advocacy"}
    assert stats.appends > 4  # bulk batches, many streams per call
    # A hang guard, not a speed goal (bench/ measures speed): generous for a loaded machine.
    await caught_up(reporting, feeds, timeout=300)

    old = await indicators(nats_client, period="2021-2025", scheme="legacy_63")
    new = await indicators(nats_client, period="2021-2025", scheme="2025_34")
    nation = old["units"][0]["indicators"]
    assert nation["clubs_cumulative"] == TINY.clubs
    assert nation["members"] == sum(len(p.profiles) for p in plans)
    assert nation["members"] == new["units"][0]["indicators"]["members"]
    assert nation["provinces_with_club"] == TINY.provinces
    assert nation["loans_issued"] > 0 and nation["outstanding"] >= 0
    assert nation["repayment_rate_pct"] > 90
    assert nation["visits"] > 0 and nation["weeks_target_met_pct"] > 50
    assert nation["health_checks"] > 0
    assert nation["entitlement_cases_opened"] > 0
    assert nation["clubs_with_both_funds_pct"] == 100.0
    assert nation["resources"]["project"] > 0

    provinces = units(await indicators(nats_client, period="2025", level="province"))
    assert sum(u["indicators"]["members"] for u in provinces.values()) == nation["members"]
