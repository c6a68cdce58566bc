"""Leases against real Postgres: one holder per role, a new epoch per tenure, expiry when the
holder stops renewing, and fencing: no commit under an epoch that is no longer current."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ishc_runtime.leases import Lease, LeaseLost, Leases, hold
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

ROLE = "projection:things:sample"


async def holder_of(pool: asyncpg.Pool, role: str = ROLE) -> tuple[str, int] | None:
    row = await pool.fetchrow("SELECT holder, epoch FROM leases WHERE role = $1", role)
    return (row["holder"], row["epoch"]) if row else None


async def pause(leases: Leases) -> None:
    """Stand-in for SIGSTOP: the heartbeat stops; nothing tells the holder."""
    assert leases._heartbeat is not None
    leases._heartbeat.cancel()
    await asyncio.wait({leases._heartbeat})


async def take_over(leases: Leases, role: str = ROLE) -> Lease:
    taken: list[Lease] = []

    async def acquired() -> bool:
        lease = await leases.acquire(role)
        if lease is not None:
            taken.append(lease)
        return bool(taken)

    await wait_until(acquired, timeout=20, message=f"{leases.holder} never took {role}")
    return taken[0]


async def test_one_holder_per_role_and_a_new_epoch_per_tenure(pool: asyncpg.Pool) -> None:
    first, second = Leases(pool, "first"), Leases(pool, "second")
    lease = await first.acquire(ROLE)
    assert lease is not None
    assert lease.epoch == 1
    assert await second.acquire(ROLE) is None
    assert await holder_of(pool) == ("first", 1)

    await first.release(lease)  # a clean stop hands the role over at once
    taken = await second.acquire(ROLE)
    assert taken is not None
    assert taken.epoch == 2
    assert await holder_of(pool) == ("second", 2)
    await second.close()
    await first.close()


async def test_a_holder_that_stops_renewing_loses_the_role_and_its_commits(
    pool: asyncpg.Pool,
) -> None:
    paused, standby = Leases(pool, "paused", ttl=0.5), Leases(pool, "standby", ttl=0.5)
    old = await paused.acquire(ROLE)
    assert old is not None
    await pause(paused)

    new = await take_over(standby)
    assert new.epoch == old.epoch + 1

    # The paused process wakes up and tries to commit: refused, and it learns it lost.
    async with pool.acquire() as conn:
        with pytest.raises(LeaseLost):
            async with old.transaction(conn):
                await conn.execute("CREATE TABLE never_created (x int)")
        assert await conn.fetchval("SELECT to_regclass('never_created')") is None
    assert old.lost.is_set()

    # Its heartbeat, restarted, finds the role taken and does not renew it.
    await paused.renew()
    assert await holder_of(pool) == ("standby", new.epoch)
    await standby.close()
    await paused.close()


async def test_the_heartbeat_keeps_a_working_holder_in_its_role(pool: asyncpg.Pool) -> None:
    holder, standby = Leases(pool, "holder", ttl=1), Leases(pool, "standby", ttl=1)
    lease = await holder.acquire(ROLE)
    assert lease is not None

    async def held_past_two_ttls() -> bool:
        renewed = await pool.fetchval(
            "SELECT renewed_at > acquired_at + interval '2.5 seconds' FROM leases WHERE role = $1",
            ROLE,
        )
        return bool(renewed)

    await wait_until(held_past_two_ttls, timeout=30, message="the heartbeat did not renew")
    assert await standby.acquire(ROLE) is None
    assert not lease.lost.is_set()
    await holder.close()
    await standby.close()


async def test_a_takeover_waits_for_a_fenced_commit_under_way(pool: asyncpg.Pool) -> None:
    """Either the old holder's transaction commits before the new epoch, or not at all."""
    # A ttl long enough that the idle open transaction below is not ended by the server's
    # idle-in-transaction timeout (twice the ttl); the lease is expired by hand instead.
    old_leases, new_leases = Leases(pool, "old", ttl=10), Leases(pool, "new", ttl=10)
    old = await old_leases.acquire(ROLE)
    assert old is not None
    await pause(old_leases)
    await pool.execute("CREATE TABLE fenced_rows (n int)")

    async with pool.acquire() as conn:
        async with old.transaction(conn):
            # The lease expires while this transaction is open: the takeover must wait.
            await conn.execute("INSERT INTO fenced_rows VALUES (1)")
            await pool.execute(
                "UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'"
            )
            assert await new_leases.acquire(ROLE) is None  # blocked by our row lock
        new = await take_over(new_leases)
        with pytest.raises(LeaseLost):
            async with old.transaction(conn):
                await conn.execute("INSERT INTO fenced_rows VALUES (2)")
    assert [r["n"] for r in await pool.fetch("SELECT n FROM fenced_rows")] == [1]
    assert new.epoch == old.epoch + 1
    await new_leases.close()
    await old_leases.close()


async def test_hold_cancels_the_work_when_the_lease_is_lost(pool: asyncpg.Pool) -> None:
    paused, standby = Leases(pool, "paused", ttl=0.5), Leases(pool, "standby", ttl=0.5)
    lease = await paused.acquire(ROLE)
    assert lease is not None
    cancelled = asyncio.Event()

    async def work() -> str:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return "finished"  # pragma: no cover - never reached

    holding = asyncio.create_task(hold(lease, work()))
    await pause(paused)
    await take_over(standby)
    await paused.renew()  # the heartbeat's next round
    assert await asyncio.wait_for(holding, timeout=10) is None
    assert cancelled.is_set()
    await paused.close()
    assert paused.lost_at.keys() == {ROLE}
    await standby.close()
