"""Faults on one running system: Postgres, NATS and two instances of every service, each its
own OS process, under a seeded workload of about 25 commands a second.

The scenarios share the system and run in this order; each leaves it running and healthy,
and checks every invariant over everything since the start (README.md lists them)."""

from __future__ import annotations

import pytest

from .checks import Checks
from .system import System

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

SEED = 17


async def test_kill_9_of_a_service_instance(system: System, checks: Checks) -> None:
    victim = system.instance("finance", 2)

    async def fault() -> str:
        victim.kill()
        system.instance("care", 1).kill()
        await system.restart(victim)
        await system.restart(system.instance("care", 1))
        return "kill -9 finance-2 and care-1 mid-load, restarted"

    await checks.under_load(fault)
    await checks.invariants()


async def test_lease_sessions_terminated(system: System, checks: Checks) -> None:
    async def fault() -> str:
        counts = {}
        for service in ("membership", "finance", "care"):
            counts[service] = await system.terminate(service, await system.lease_sessions(service))
        return f"pg_terminate_backend of the lease sessions: {counts}"

    await checks.under_load(fault, after=150)
    await checks.invariants()
