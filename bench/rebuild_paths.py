"""A blue-green rebuild of a care projection, old path vs new path vs raw, in one run:
`uv run python -m bench.rebuild_paths [--cases 5000] [--weeks 12] [--rounds 2]
[--projection care_cases --projection reporting_care]`.

Starts its own Postgres and NATS (bench.infra). The history is bench.care_projection's
generated care history (visits and weekly verdicts of `cases` home-care cases merged by day,
the seed-scale mix), published once in the relay's format. Then, per projection and round
(the order of the sides rotates, so each meets the same background on average):

- old: `ishc_ops.rebuild.Rebuild` as `ishc projections rebuild` ran it before issue #22
  (`ordered=False`): shadow tables, the fill by the runtime's `ProjectionRunner` on a durable
  pull consumer (fetch 500, ack after commit), the switch;
- new: the same `Rebuild` as the command runs it now: the bulk read with an ordered consumer
  (`ishc_runtime.projections.ordered`, batches of 1,000, checkpoint per batch, lease-fenced),
  the tail by the durable consumer, the switch;
- raw: nats-py's ordered consumer (`js.subscribe(..., ordered_consumer=True)`, `next_msg`),
  `json.loads`, the same rows written with one `unnest` statement per table and batch of
  1,000 (bench.care_projection's raw writers), no domain code, no envelope model, no
  checkpoint, no lease, no shadow schema, no switch;
- read: the ordered consumer alone (`json.loads`, nothing written): what reading costs.

Old and new are timed from `prepare` (shadow tables) to the end of the switch (the CLI's
comparison between them, a checksum of the tables, is left out of both). Checks, every
round: row counts equal what the generator produced, and an md5 of every row of every table
is the same for old, new and raw (nothing lost, doubled or written differently).

Results to bench/results/rebuild-paths.json (`--out`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from nats.errors import TimeoutError as NatsTimeoutError

from bench.care_projection import TARGETS, History, Source, Target, checksums, generate, publish
from bench.cpu import CpuMeter
from bench.infra import Servers, servers
from bench.measure import other_cpu_share, settle, use_meter, watch
from ishc_contracts import subjects
from ishc_contracts.catalogue import REGISTRY
from ishc_ops.rebuild import Rebuild
from ishc_runtime.service import ServiceDefinition
from ishc_runtime.service.routes import Routes
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool

RESULTS = Path(__file__).parent / "results" / "rebuild-paths.json"
BATCH = 1000
SIDES = ("old", "new", "raw", "read")


async def run_rebuild(
    srv: Servers, source: Source, target: Target, *, ordered: bool
) -> tuple[float, str, dict[str, Any]]:
    side = "new" if ordered else "old"
    dsn = await srv.database(f"rebuild_{side}")
    await migrate(dsn, target.migrations)
    pool = await create_pool(dsn, min_size=1, max_size=4)
    projection = dataclasses.replace(target.factory(), sources=[source.service])
    definition = ServiceDefinition(
        name=source.service, routes=Routes(), registry=REGISTRY, projections=[projection]
    )
    try:
        await srv.checkpoint()
        async with srv.nats(f"bench-rebuild-{side}") as nc:
            rebuild = Rebuild(pool, nc, dsn, definition, projection, ordered=ordered)
            await settle()
            try:
                with watch(f"{target.name} {side}"):
                    started = time.perf_counter()
                    await rebuild.prepare()
                    await rebuild.fill()
                    filled = time.perf_counter() - started
                    checkpoints = await rebuild.switch()
                    elapsed = time.perf_counter() - started
            finally:
                if not rebuild.swapped:
                    await rebuild.discard_shadow()
                await rebuild.close()
        parked = await pool.fetchval("SELECT count(*) FROM parked_messages")
    finally:
        await pool.close()
    if parked or checkpoints[source.service] != source.last_seq:
        msg = f"{side}: parked {parked}, checkpoints {checkpoints}, last {source.last_seq}"
        raise AssertionError(msg)
    detail = {
        "fill_seconds": round(filled, 2),
        "ordered_reads": [dataclasses.asdict(r) for r in rebuild.ordered_reads],
    }
    return elapsed, dsn, detail


async def run_raw(
    srv: Servers, source: Source, target: Target, *, write: bool
) -> tuple[float, str | None]:
    """The reference (module docstring); `write=False`: the ordered read alone."""
    side = "raw" if write else "read"
    dsn: str | None = None
    conn: asyncpg.Connection | None = None
    if write:
        dsn = await srv.database("rebuild_raw")
        await migrate(dsn, target.migrations)
        conn = await asyncpg.connect(dsn)
    try:
        await srv.checkpoint()
        async with srv.nats(f"bench-rebuild-{side}") as nc:
            await settle()
            with watch(f"{target.name} {side}"):
                started = time.perf_counter()
                sub = await nc.jetstream().subscribe(
                    subjects.all_events(source.service),
                    stream=source.stream,
                    ordered_consumer=True,
                )
                last = 0
                while last < source.last_seq:
                    try:
                        msgs = [await sub.next_msg(timeout=10)]
                    except NatsTimeoutError as error:
                        msg = f"{side}: the ordered consumer stopped at {last}"
                        raise AssertionError(msg) from error
                    while len(msgs) < BATCH and sub.pending_msgs > 0:
                        msgs.append(await sub.next_msg(timeout=10))
                    bodies = [json.loads(m.data) for m in msgs]
                    if conn is not None:
                        await target.raw_batch(conn, bodies)
                    last = msgs[-1].metadata.sequence.stream
                elapsed = time.perf_counter() - started
                await sub.unsubscribe()
    finally:
        if conn is not None:
            await conn.close()
    return elapsed, dsn


def _code() -> dict[str, str]:
    root = Path(__file__).parent.parent
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=False, cwd=root, capture_output=True, text=True
    )
    return {"ref": os.environ.get("ISHC_BENCH_CODE_REF", done.stdout.strip())}


async def measure(
    srv: Servers, source: Source, history: History, target: Target, rounds: int
) -> dict[str, Any]:
    expected = target.expected(history)
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    details: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    sums: dict[str, dict[str, tuple[int, str]]] = {}
    for round_ in range(rounds):
        shift = round_ % len(SIDES)
        for side in SIDES[shift:] + SIDES[:shift]:
            dsn: str | None
            if side in ("old", "new"):
                elapsed, dsn, detail = await run_rebuild(srv, source, target, ordered=side == "new")
                details[side].append(detail)
            else:
                elapsed, dsn = await run_raw(srv, source, target, write=side == "raw")
            rates[side].append(source.events / elapsed)
            print(f"{target.name} round {round_ + 1} {side}: {source.events / elapsed:,.0f} ev/s"
                  f" ({elapsed:.1f} s)", file=sys.stderr)  # fmt: skip
            if dsn is None:
                continue
            sums[side] = await checksums(dsn, target.tables)
            counts = {table: n for table, (n, _) in sums[side].items()}
            if counts != expected:
                msg = f"{side} wrote {counts}, expected {expected}"
                raise AssertionError(msg)
        if not sums["old"] == sums["new"] == sums["raw"]:
            msg = f"the sides wrote different rows: {sums}"
            raise AssertionError(msg)
    best = {side: max(values) for side, values in rates.items()}
    return {
        "rows": expected,
        "checksums": {t: s for t, (_, s) in sums["new"].items()},
        "rates": rates,
        "best": best,
        "new_over_raw": best["new"] / best["raw"],
        "old_over_raw": best["old"] / best["raw"],
        "new_over_old": best["new"] / best["old"],
        "details": details,
        "other_cpu": {side: other_cpu_share(f"{target.name} {side}") for side in SIDES},
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    history = generate(args.cases, args.weeks)
    print(f"history: {len(history.events):,} events", file=sys.stderr)
    results: dict[str, Any] = {}
    with servers() as srv:
        use_meter(
            CpuMeter({os.getpid(), *srv.server_pids}) if srv.server_pids else None,
            settle_budget=args.settle,
        )
        source = await publish(srv, history)
        print(f"published in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        for name in args.projection or ["care_cases", "reporting_care"]:
            results[name] = await measure(srv, source, history, TARGETS[name], args.rounds)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": _code(),
        "events": source.events,
        "cases": args.cases,
        "weeks": args.weeks,
        "rounds": args.rounds,
        "projections": results,
        "load_average": os.getloadavg(),
        "seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--projection", action="append", choices=sorted(TARGETS))
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"rebuild from {result['events']:,} events (best of {args.rounds} rounds):")
    for name, measured in result["projections"].items():
        best, other = measured["best"], measured["other_cpu"]
        for side in SIDES:
            share = other[side] or 0
            print(f"  {name} {side}: {best[side]:,.0f} ev/s, {best[side] / best['raw']:.2f} of raw,"
                  f" other CPU {share:.0%}")  # fmt: skip
    print("rows and checksums equal for old, new and raw")


if __name__ == "__main__":
    main()
