"""Blue-green rebuild rate of the largest projection over a simulated history of ≥ 1 M events:
`uv run python -m bench.rebuild [--clubs 170] [--years 10]`.

Starts its own Postgres and NATS (bench.infra), loads a national network from the simulator
(ishc_simulator: every service's real domain code) into each service's own database,
lets the four relays and the reporting projections catch up, picks the projection with the
most source events, then runs `ishc projections rebuild reporting <it> --yes --json` as a
separate process: the operators' exact code path (shadow tables, fill from the first event,
compare, atomic switch). Meanwhile this process polls the shadow's checkpoints to time the
fill alone, and samples the command's RSS. Records events, seconds, events/s, rows compared
and peak RSS to bench/results/rebuild-<clubs>x<years>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.network import (
    PeakRss,
    Progress,
    add_network_arguments,
    network_params,
    run_and_record,
    simulated_network,
)
from ishc_runtime.projections import Projection
from ishc_runtime.projections.status import REBUILD_SUFFIX
from ishc_simulator.world import Params
from reporting.definition import projections

RESULTS = Path(__file__).parent / "results"
MIN_EVENTS = 1_000_000
REBUILD_TIMEOUT = 4 * 3_600
ISHC = Path(sys.executable).parent / "ishc"


def largest(events: dict[str, int]) -> tuple[Projection, int]:
    """The reporting projection with the most source events: what a rebuild has to fold."""
    sized = [(sum(events.get(s, 0) for s in p.sources), p) for p in projections()]
    count, projection = max(sized, key=lambda pair: pair[0])
    return projection, count


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the runtime or ops sources differed from it."""
    root = Path(__file__).parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], check=False, cwd=root, capture_output=True, text=True)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "runtime/src", "ops/src", "services/reporting/src")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted": changed.splitlines()}


async def row_counts(dsn: str, tables: Sequence[str]) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {t: int(await conn.fetchval(f'SELECT count(*) FROM "{t}"')) for t in tables}
    finally:
        await conn.close()


class FillClock:
    """Times the rebuild's fill by polling the shadow projection's checkpoints."""

    def __init__(self, dsn: str, name: str, target: int) -> None:
        self.dsn = dsn
        self.name = name + REBUILD_SUFFIX
        self.target = target
        self.first_seen: float | None = None
        self.first_done = 0
        self.reached: float | None = None
        self.samples: list[tuple[float, int]] = []

    async def watch(self, started: float, log: Progress) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while self.reached is None:
                done = int(
                    await conn.fetchval(
                        "SELECT coalesce(sum(stream_seq), 0) FROM projection_checkpoints"
                        " WHERE projection = $1",
                        self.name,
                    )
                )
                now = time.perf_counter() - started
                if done > 0 and self.first_seen is None:
                    self.first_seen, self.first_done = now, done
                if done >= self.target:
                    self.reached = now
                self.samples.append((round(now, 1), done))
                if len(self.samples) % 30 == 1 or self.reached is not None:
                    rate = done / now if now > 0 else 0.0
                    log.note(f"rebuild {done:,}/{self.target:,} events, {rate:,.0f} ev/s so far")
                await asyncio.sleep(1.0)
        finally:
            await conn.close()


async def rebuild_with_cli(
    dsn: str,
    nats_url: str,
    projection: Projection,
    source_events: int,
    log: Progress,
    batch_size: int | None = None,
) -> dict[str, Any]:
    command = [str(ISHC), "projections", "rebuild", "reporting", projection.name]
    if batch_size is not None:
        command += ["--batch-size", str(batch_size)]
    shown = " ".join([*command, "--yes", "--json"])
    command += ["--yes", "--json", "--database-url", dsn, "--nats-url", nats_url]
    clock = FillClock(dsn, projection.name, source_events)
    stderr = RESULTS / "rebuild-cli.stderr.log"
    with stderr.open("wb") as errors:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *command, stdout=subprocess.PIPE, stderr=errors
        )
        with PeakRss({"ishc projections rebuild": process.pid}) as rss:
            watcher = asyncio.create_task(clock.watch(started, log))
            try:
                out, _ = await asyncio.wait_for(process.communicate(), REBUILD_TIMEOUT)
            finally:
                watcher.cancel()
            seconds = time.perf_counter() - started
    if process.returncode != 0:
        msg = f"ishc projections rebuild exited {process.returncode}: see {stderr}"
        raise RuntimeError(msg)
    stderr.unlink()
    answer: dict[str, Any] = json.loads(out)
    # From the command's start (its start-up and shadow tables included) to the shadow's
    # checkpoint reaching the streams' ends; polled each second. The steady rate leaves out
    # the start-up: from the first checkpoint seen to the last.
    fill = clock.reached
    steady = None
    if clock.first_seen is not None and fill is not None and fill > clock.first_seen:
        steady = round((source_events - clock.first_done) / (fill - clock.first_seen))
    return {
        "command": shown,
        "batch_size": batch_size,
        "seconds": round(seconds, 1),
        "events_per_second": round(source_events / seconds),
        "fill_seconds": round(fill, 1) if fill is not None else None,
        "fill_events_per_second": round(source_events / fill) if fill else None,
        "steady_fill_events_per_second": steady,
        "first_checkpoint_after_seconds": clock.first_seen,
        "fill_samples": clock.samples[:: max(1, len(clock.samples) // 40)],
        "peak_rss_mb": round(rss.peaks["ishc projections rebuild"] / 2**20),
        "switched": answer["switched"],
        "comparison": answer["comparison"],
    }


async def bench(
    params: Params, log: Progress, minimum: int, batch_sizes: list[int | None], workers: int = 0
) -> dict[str, Any]:
    async with simulated_network(params, log, "rb") as network:
        stats, total = network.stats, network.stats.total_events
        print(f"history: {total:,} events {stats.events}", flush=True)
        if total < minimum:
            msg = f"only {total:,} events simulated, fewer than {minimum:,}: add clubs"
            raise SystemExit(msg)
        caught = await network.catch_up(log, workers)
        reporting_dsn, nats_url = network.reporting_dsn, network.servers.nats_url
        projection, source_events = largest(stats.events)
        rows = await row_counts(reporting_dsn, projection.tables)
        log.state.update(phase="rebuild", projection=projection.name, rows=rows)
        log.note(f"rebuilding {projection.name}: {source_events:,} events, rows {rows}")
        rebuilds = []
        # Each rebuild replaces the previous one's tables: same history, same work.
        for batch_size in batch_sizes:
            await network.servers.checkpoint()
            rebuilds.append(
                await rebuild_with_cli(
                    reporting_dsn, nats_url, projection, source_events, log, batch_size
                )
            )
            log.state.setdefault("rebuilds", []).append(rebuilds[-1])
            log.note(f"rebuilt in {rebuilds[-1]['seconds']} s (batch size {batch_size})")
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": network.machine(),
            "params": log.state["params"],
            "history_events": stats.events,
            "history_events_total": total,
            "load_seconds": round(network.load_seconds, 1),
            "catch_up_seconds": round(caught.seconds, 1),
            "parked_after_catch_up": caught.parked,
            "projection": projection.name,
            "projection_sources": projection.sources,
            "projection_source_events": source_events,
            "projection_rows_before": rows,
            "code": code_version(),
            "rebuilds": rebuilds,
            "peak_rss_mb_bench_and_servers": network.rss.peaks_mb(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild", description=__doc__)
    add_network_arguments(parser, clubs=170)
    parser.add_argument(
        "--min-events", type=int, default=MIN_EVENTS, help="refuse a smaller history"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        action="append",
        help="rebuild once per value, in order (default: once, with the command's default)",
    )
    args = parser.parse_args()
    params = network_params(args)
    sizes: list[int | None] = list(args.batch_size or [None])
    run_and_record(
        RESULTS,
        f"rebuild-{params.clubs}x{params.years}",
        params,
        lambda log: bench(params, log, args.min_events, sizes, args.catch_up_workers),
    )


if __name__ == "__main__":
    main()
