"""CPU per command of the append path, the figure a shared machine spoils least: the
process's CPU time (user and system) divided by the commands completed, at 1 and 8 clients.

`uv run python -m bench.append_cpu [--seconds 5] [--side ours store raw] [--profile DIR]`

Sides (each on its own fresh servers, as in `bench.append`): `ours` (the command path with
the relay beside it, as `bench.run` measures it), `ours-no-relay`, `store` (`EventStore.append`
alone, the expected version known) and `raw` (one asyncpg INSERT per command). Rates are
printed too, with the load average beside them: on a busy machine they are noise.
`--profile DIR` writes a cProfile (pstats) of each measured slice there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import time
from pathlib import Path

import asyncpg

from bench import append
from bench.infra import Servers, servers
from bench.measure import Side, TimeBox

SIDES = ("ours", "ours-no-relay", "store", "raw")


def _side(
    srv: Servers, kind: str, clients: int, settings: append.AppendSettings
) -> contextlib.AbstractAsyncContextManager[Side]:
    name = f"{kind} {clients}c"
    if kind == "ours":
        return append.ours(srv, clients, settings, name=name)
    if kind == "ours-no-relay":
        return append.ours(srv, clients, settings, name=name, relay=False)
    if kind == "store":
        return append.store_only(srv, clients, settings, name=name)
    return append.raw(srv, clients, settings, name=name)


async def _transactions(srv: Servers) -> int:
    """Transactions the server has ended so far, all databases: with autocommit statements,
    the round trips that wrote or read (statistics are flushed before they are read)."""
    conn = await asyncpg.connect(srv.admin_dsn)
    try:
        await conn.execute("SELECT pg_stat_force_next_flush()")
        total: int = await conn.fetchval(
            "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database"
        )
        return total
    finally:
        await conn.close()


async def _measure(
    kind: str, clients: int, seconds: float, profiler: cProfile.Profile | None
) -> str:
    with servers() as srv:
        settings = append.AppendSettings(TimeBox(1.0, seconds))
        async with _side(srv, kind, clients, settings) as side:
            await side.run(1.0)  # warm-up: prepared statements, pool, caches
            xacts = await _transactions(srv)
            before, wall = os.times(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            _, done = await side.run(seconds)
            if profiler is not None:
                profiler.disable()
            after, wall = os.times(), time.perf_counter() - wall
            xacts = await _transactions(srv) - xacts
    user, system = after.user - before.user, after.system - before.system
    load = os.getloadavg()
    return (
        f"{kind} {clients}c: {done} commands in {wall:.1f} s = {done / wall:,.0f}/s;"
        f" process CPU {(user + system) / done * 1e6:,.0f} µs/command"
        f" (user {user / done * 1e6:,.0f}, system {system / done * 1e6:,.0f});"
        f" server transactions {xacts / done:.2f}/command;"
        f" load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.append_cpu", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--side", nargs="+", default=["ours"], choices=SIDES)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    for clients in args.clients:
        for kind in args.side:
            profiler = cProfile.Profile() if args.profile is not None else None
            print(asyncio.run(_measure(kind, clients, args.seconds, profiler)), flush=True)
            if profiler is not None:
                profiler.dump_stats(args.profile / f"{kind}_{clients}c.pstats")


if __name__ == "__main__":
    main()
