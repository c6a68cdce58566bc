"""Faults on one running system: Postgres, NATS and two instances of every service, each its
own OS process, under a seeded workload of about 25 commands a second.

The scenarios share the system and run in this order; each leaves it running and healthy,
then checks every invariant over everything since the start (README.md lists them)."""

from __future__ import annotations

import contextlib

import asyncpg
import pytest

from ishc_contracts import subjects
from ishc_runtime.testing.waiting import wait_until

from .checks import Checks
from .processes import Nats
from .system import System

# A hang guard, not a speed goal: on a loaded machine a 45-day clock jump fires thousands
# of timers and one scenario has taken 200 s.
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(600)]

SEED = 17
FUNDS = "projection:finance_funds:finance"
DAY = 86_400


async def test_kill_9_of_a_service_instance(system: System, checks: Checks) -> None:
    async def fault() -> str:
        for victim in (system.instance("finance", 2), system.instance("care", 1)):
            victim.kill()
            await system.restart(victim)
        return "kill -9 of finance-2 and care-1 mid-load, then restarted"

    await checks.under_load(fault)
    await checks.invariants()


async def test_kill_9_of_the_leader_instance(system: System, checks: Checks) -> None:
    async def fault() -> str:
        killed = []
        for service, role in (("finance", FUNDS), ("membership", "relay:MEMBERSHIP")):
            leader = await system.wait_leader(service, role)
            leader.kill()
            killed.append(f"{leader.instance_id} ({role})")
            await system.wait_leader(service, role)
            await system.restart(leader)
        return f"kill -9 of the leaders {', '.join(killed)}; another took over; restarted"

    await checks.under_load(fault)
    await checks.invariants()


async def test_crash_after_the_commit_before_the_reply(system: System, checks: Checks) -> None:
    async def fault() -> str:
        return await system.crash_at("finance", "command.after_commit")

    await checks.under_load(fault)
    repeated = [op for op in checks.workload.history.ok if (op.result or {}).get("duplicate")]
    checks.say(
        f"commands answered 'duplicate' on a retry after an unknown outcome: {len(repeated)}"
    )
    assert repeated, "no retry of a command whose first attempt committed"
    await checks.invariants()


async def test_crash_after_the_puback_before_the_relay_checkpoint(
    system: System, checks: Checks
) -> None:
    async def fault() -> str:
        return await system.crash_at("finance", "relay.after_puback", "relay:FINANCE")

    await checks.under_load(fault)
    await checks.invariants()


async def test_crash_after_a_projection_batch_before_its_ack(
    system: System, checks: Checks
) -> None:
    async def fault() -> str:
        return await system.crash_at("finance", "projection.before_ack", FUNDS)

    await checks.under_load(fault)
    await checks.invariants()


async def test_durable_consumers_deleted(system: System, checks: Checks) -> None:
    async def fault() -> str:
        js = system.nc.jetstream()
        deleted = 0
        for service in ("membership", "finance", "care", "advocacy"):
            stream = subjects.stream_name(service)
            for consumer in await js.consumers_info(stream):
                if consumer.config.durable_name:
                    with contextlib.suppress(Exception):
                        deleted += bool(await js.delete_consumer(stream, consumer.name))
        return f"deleted {deleted} durable consumers of the four streams"

    await checks.under_load(fault)
    await checks.invariants()


async def test_kill_9_of_nats(system: System, checks: Checks) -> None:
    bus = system.bus
    assert isinstance(bus, Nats)

    async def fault() -> str:
        bus.kill()
        noticed = await checks.clients_notice(1)
        bus.start()
        return f"kill -9 of nats-server; clients met {noticed} unknown outcomes; restarted"

    await checks.under_load(fault)
    await checks.invariants()


async def test_sigstop_of_nats(system: System, checks: Checks) -> None:
    bus = system.bus
    assert isinstance(bus, Nats)

    async def fault() -> str:
        bus.pause()
        try:
            noticed = await checks.clients_notice(3)
        finally:
            bus.resume()
        return f"SIGSTOP of nats-server until clients met {noticed} timeouts, then SIGCONT"

    await checks.under_load(fault)
    await checks.invariants()


async def test_connections_exhausted(system: System, checks: Checks) -> None:
    victim = system.instance("finance", 2)

    async def fault() -> str:
        held = await system.hog_connections()
        try:
            # Instances keep the sessions they have; one that starts now gets none.
            await system.restart(victim)
            await checks.workload.progressed(30)
        finally:
            for conn in held:
                await conn.close()
        await system.wait_ready([victim])
        return (
            f"a hog held {len(held)} sessions (max_connections"
            f" {system.postgres.max_connections} reached); {victim.instance_id} restarted"
            " meanwhile, got ready once they were let go"
        )

    await checks.under_load(fault)
    await checks.invariants()


async def test_postgres_disk_full(system: System, checks: Checks) -> None:
    async def read_only(on: bool) -> None:
        conn = await asyncpg.connect(system.postgres.dsn())
        try:
            await conn.execute("SET default_transaction_read_only = off")
            if on:
                await conn.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            else:
                await conn.execute("ALTER SYSTEM RESET default_transaction_read_only")
            await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    async def fault() -> str:
        await read_only(True)
        try:
            noticed = await checks.clients_notice(5)
        finally:
            await read_only(False)
        return (
            "Postgres refused every write (a full disk, simulated by a read-only cluster)"
            f" until clients met {noticed} failures, then took writes again"
        )

    await checks.under_load(fault)
    await checks.invariants()


async def test_kill_9_of_postgres(system: System, checks: Checks) -> None:
    async def fault() -> str:
        system.postgres.kill()
        noticed = await checks.clients_notice(3)
        system.postgres.start()
        return (
            f"kill -9 of the postmaster and its backends; clients met {noticed} failures;"
            " restarted on the same data directory (crash recovery)"
        )

    await checks.under_load(fault, after=100)
    await checks.invariants()


async def test_lease_sessions_terminated(system: System, checks: Checks) -> None:
    async def fault() -> str:
        counts = {}
        for service in ("membership", "finance", "care"):
            counts[service] = await system.terminate(service, await system.lease_sessions(service))
        return f"pg_terminate_backend of the sessions leadership rests on: {counts}"

    await checks.under_load(fault, after=100)
    await checks.invariants()


async def test_sigstop_of_a_leader_until_its_lease_expires(system: System, checks: Checks) -> None:
    async def fault() -> str:
        leader = await system.wait_leader("finance", FUNDS)
        leader.pause()
        try:

            async def taken_over() -> bool:
                now = await system.leader_of("finance", FUNDS)
                return now is not None and now is not leader

            await wait_until(
                taken_over,
                timeout=90,
                interval=0.5,
                message=f"{FUNDS} still held by the stopped {leader.instance_id}",
            )
        finally:
            leader.resume()
        return f"SIGSTOP of {leader.instance_id} (leading {FUNDS}) until another took the role, then SIGCONT"

    await checks.under_load(fault, after=100)
    await checks.invariants()


async def test_clock_jump_for_the_scheduler(system: System, checks: Checks) -> None:
    # Two week closes and about half the loans' monthly due dates; a longer jump only adds
    # timers of the same kinds, and minutes on a loaded machine.
    jump = 16 * DAY
    fired_before = await system.fired_timers()

    async def fault() -> str:
        system.set_clock(jump)
        try:
            await system.wait_timers_fired()
        finally:
            system.set_clock(0)
        fired = await system.fired_timers() - fired_before
        return f"every service's clock jumped 16 days ahead: {fired} timers fired, then back"

    await checks.under_load(fault)
    await checks.invariants()


async def test_crash_after_a_timer_dispatch_before_it_is_marked(
    system: System, checks: Checks
) -> None:
    async def fault() -> str:
        # Finance's clock alone, just past its next timer: the crash needs one timer due,
        # not every service's timers of the coming weeks.
        jump = max(0.0, await system.next_timer_in("finance")) + 3_600
        try:
            said = await system.crash_at(
                "finance",
                "scheduler.after_dispatch",
                "scheduler",
                lambda: system.set_clock(jump, only=["finance"]),
            )
            await system.wait_timers_fired()
        finally:
            system.set_clock(0)
        return f"finance's clock {jump / DAY:.1f} days ahead, past its next timer; {said}"

    await checks.under_load(fault)
    await checks.invariants()
