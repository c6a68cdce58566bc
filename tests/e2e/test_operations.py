"""The operator screens' data through the gateway: every real service answers how its
projections stand (checkpoint, lag) and which events they parked, over HTTP only."""

from __future__ import annotations

from typing import Any

import pytest

from ishc_contracts import new_id
from ishc_runtime.testing.waiting import wait_until

from .harness import SERVICES, System

pytestmark = pytest.mark.e2e


async def membership_streams(system: System, bearer: str) -> list[dict[str, Any]]:
    """Every projection (of any service) that reads the MEMBERSHIP stream."""
    response = await system.http.get(
        "/v1/ops/projections", headers={"Authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == 200, response.text
    return [
        row
        for service in response.json()["services"]
        for row in service["projections"]
        if row["stream"] == "MEMBERSHIP"
    ]


async def test_an_operator_sees_checkpoints_catch_up_with_the_stream(system: System) -> None:
    operator = await system.token(user="operator")
    admin = await system.token(user="admin")
    before = await membership_streams(system, operator)
    assert before, "membership's stream feeds projections of several services"
    start = max((row["stream_last_seq"] or 0) for row in before)

    for n in range(3):
        await system.command(
            admin,
            "membership",
            "establish-club",
            {
                "club_id": str(new_id()),
                "name": f"CLB vận hành {n}",
                "admin_unit": "01:00070",
                "founded_on": "2024-03-21",
            },
        )

    async def caught_up() -> bool:
        rows = await membership_streams(system, operator)
        return all(
            row["stream_last_seq"] >= start + 3 and row["lag"] == 0 and row["state"] == "caught up"
            for row in rows
        )

    await wait_until(caught_up, timeout=30, interval=0.2, message="projections caught up")
    rows = await membership_streams(system, operator)
    assert {row["checkpoint"] for row in rows} == {rows[0]["stream_last_seq"]}
    owners = {row["projection"].split("_", 1)[0] for row in rows}
    assert {"membership", "finance"} <= owners


async def test_an_operator_sees_no_parked_events_and_others_are_refused(system: System) -> None:
    operator = await system.token(user="operator")
    response = await system.http.get(
        "/v1/ops/parked", headers={"Authorization": f"Bearer {operator}"}
    )
    assert response.status_code == 200, response.text
    answered = {s["service"]: s for s in response.json()["services"]}
    # Reporting (running in the harness) is asked too, though no gateway readiness check names it.
    assert set(answered) == {*SERVICES, "reporting"}
    for service in SERVICES:
        assert answered[service]["available"] is True, answered[service]
        assert answered[service]["parked"] == []

    secretary = await system.token(user="secretary-a")
    refused = await system.http.get(
        "/v1/ops/projections", headers={"Authorization": f"Bearer {secretary}"}
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
