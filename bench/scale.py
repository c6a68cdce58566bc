"""The scale curve of issue #22: `uv run python -m bench.scale [--fraction 0.1 --fraction 0.3]`.

For each fraction of the seed scale (1,535 clubs x 10 years in 57 provinces; `--fraction`
repeats, default 0.1 and 0.3) on its own servers (bench.infra): load the simulated history
(the services' real domain code, bench.network), catch up (the four relays and reporting's
projections, `--catch-up-workers` processes), read the sizes of every Postgres database and
JetStream stream, then rebuild every projection of every service and of reporting with
`ishc projections rebuild <service> <projection> --yes --json`, one after another (or
`--parallel N` side by side, the largest first): the
operators' path (ordered read into shadow tables, indexes after the load, switch). The
services' own read models were never folded live here, so each rebuild is the whole build a
new server would do. Peak RSS of every process is sampled throughout.

Records bench/results/scale-<clubs>x<years>.json per point; after the last point prints the
cost per million events of load, catch-up and full rebuild at each point beside the first:
a ratio near 1 is linear growth.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import nats

from bench.network import PeakRss, Progress, params_record, run_and_record, simulated_network
from bench.rebuild import code_version
from ishc_contracts import subjects
from ishc_ops.targets import with_reactions
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_simulator.world import Params

RESULTS = Path(__file__).parent / "results"
ISHC = Path(sys.executable).parent / "ishc"
SEED_SCALE = Params()
SERVICES = ("membership", "finance", "care", "advocacy", "reporting")
REBUILD_TIMEOUT = 4 * 3_600


def definition_of(service: str) -> ServiceDefinition:
    module = importlib.import_module(f"{service}.definition")
    made: ServiceDefinition = module.definition()
    return made


async def database_sizes(dsns: dict[str, str]) -> dict[str, int]:
    sizes = {}
    for name, dsn in dsns.items():
        conn = await asyncpg.connect(dsn)
        try:
            sizes[name] = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await conn.close()
    return sizes


async def stream_sizes(nats_url: str) -> dict[str, dict[str, int]]:
    nc = await nats.connect(nats_url)
    try:
        js, found = nc.jetstream(), {}
        for service in SERVICES[:-1]:
            info = await js.stream_info(subjects.stream_name(service))
            found[service] = {"messages": info.state.messages, "bytes": info.state.bytes}
        return found
    finally:
        await nc.close()


async def projections_of(service: str, dsn: str) -> list[tuple[str, list[str]]]:
    """The service's projections (not its reactions) with their sources, its tables made."""
    definition = definition_of(service)
    await migrate(dsn, *definition.migrations)
    pool = await create_pool(dsn)
    try:
        operated = with_reactions(definition, pool)
    finally:
        await pool.close()
    return [(p.name, list(p.sources)) for p, kind in operated if kind == "projection"]


async def rebuild(service: str, projection: str, dsn: str, nats_url: str) -> dict[str, Any]:
    command = [str(ISHC), "projections", "rebuild", service, projection, "--yes", "--json"]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, "--database-url", dsn, "--nats-url", nats_url,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    with PeakRss({"rebuild": process.pid}) as rss:
        out, err = await asyncio.wait_for(process.communicate(), REBUILD_TIMEOUT)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        msg = f"{' '.join(command)} exited {process.returncode}: {err.decode()[-2000:]}"
        raise RuntimeError(msg)
    answer = json.loads(out)
    return {
        "command": " ".join(command),
        "seconds": round(seconds, 1),
        "switched": answer["switched"],
        "rows": {row["table"]: row["folded_rows"] for row in answer["comparison"]},
        "peak_rss_mb": round(rss.peaks["rebuild"] / 2**20),
    }


async def point(params: Params, log: Progress, *, workers: int, parallel: int) -> dict[str, Any]:
    async with simulated_network(params, log, "scale") as network:
        stats, total = network.stats, network.stats.total_events
        log.note(f"history: {total:,} events {stats.events}")
        caught = await network.catch_up(log, workers)
        nats_url = network.servers.nats_url
        dsns = {**network.dsns, "reporting": network.reporting_dsn}
        await network.servers.checkpoint()
        sizes = {
            "postgres_bytes": await database_sizes(dsns),
            "jetstream": await stream_sizes(nats_url),
        }
        rebuilds: dict[str, dict[str, Any]] = {}
        planned = [
            (service, name, sources)
            for service in SERVICES
            for name, sources in await projections_of(service, dsns[service])
        ]
        # The largest first, so that side by side the long ones do not end up alone.
        planned.sort(key=lambda p: -sum(stats.events.get(s, 0) for s in p[2]))
        slots = asyncio.Semaphore(parallel)

        async def one(service: str, name: str, sources: list[str]) -> None:
            async with slots:
                done = await rebuild(service, name, dsns[service], nats_url)
            done["source_events"] = sum(stats.events.get(s, 0) for s in sources)
            rebuilds[f"{service}.{name}"] = done
            log.note(f"rebuilt {service}.{name} in {done['seconds']} s")

        log.state["phase"] = f"rebuild, {parallel} at a time"
        started = time.perf_counter()
        await asyncio.gather(*(one(*p) for p in planned))
        full = time.perf_counter() - started
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": network.machine(),
            "code": code_version(),
            "params": params_record(params),
            "fraction_of_seed_scale": round(params.clubs / SEED_SCALE.clubs, 3),
            "events": stats.events,
            "events_total": total,
            "load_seconds": round(network.load_seconds, 1),
            "catch_up_workers": workers,
            "catch_up_seconds": round(caught.seconds, 1),
            "parked_after_catch_up": caught.parked,
            "full_rebuild_seconds": round(full, 1),
            "rebuilds_side_by_side": parallel,
            "rebuilds": rebuilds,
            "sizes": sizes,
            "peak_rss_mb": network.rss.peaks_mb(),
            "peak_rss_mb_rebuild": max(r["peak_rss_mb"] for r in rebuilds.values()),
        }


def curve(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seconds per million events at each point, and each beside the first point's."""
    per_million = [
        {
            key: r[key] / (r["events_total"] / 1e6)
            for key in ("load_seconds", "catch_up_seconds", "full_rebuild_seconds")
        }
        for r in results
    ]
    first = per_million[0]
    return [
        {
            "fraction": r["fraction_of_seed_scale"],
            "events": r["events_total"],
            **{f"{k}_per_million": round(v, 1) for k, v in costs.items()},
            **{f"{k}_vs_first": round(v / first[k], 2) for k, v in costs.items() if first[k]},
        }
        for r, costs in zip(results, per_million, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--fraction", type=float, action="append")
    parser.add_argument("--years", type=int, default=SEED_SCALE.years)
    parser.add_argument("--catch-up-workers", type=int, default=3)
    parser.add_argument(
        "--parallel", type=int, default=1, help="rebuilds side by side (each its own process)"
    )
    args = parser.parse_args()
    results = []
    for fraction in args.fraction or [0.1, 0.3]:
        clubs = max(1, round(SEED_SCALE.clubs * fraction))
        params = replace(
            SEED_SCALE, clubs=clubs, provinces=min(SEED_SCALE.provinces, clubs), years=args.years
        )
        name = f"scale-{params.clubs}x{params.years}" + (
            f"-parallel-{args.parallel}" if args.parallel > 1 else ""
        )
        measure = partial(point, params, workers=args.catch_up_workers, parallel=args.parallel)
        run_and_record(RESULTS, name, params, measure)
        results.append(json.loads((RESULTS / f"{name}.json").read_text()))
    print(json.dumps(curve(results), indent=2))


if __name__ == "__main__":
    main()
