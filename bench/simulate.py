"""The simulator as a benchmark: `uv run python -m bench.simulate [--clubs N] [--years Y]`.

Starts its own Postgres and NATS (bench.infra, or ISHC_BENCH_DATABASE_URL / _NATS_URL), gives
each service its own database, simulates a national network with the services' real domain
code (reporting.simulator), appends it in bulk through the event stores, then runs the four
relays and the reporting projections until nothing lags. Records events generated, time to
load, time to catch up, events/s and peak RSS of this process and of the Postgres and NATS
servers it started, to bench/simulator-results/<clubs>x<years>.json.

A long run logs its progress (clubs decided, events appended, catch-up lags, load average)
and rewrites <clubs>x<years>.partial.json at every step, so a run that is cut off (SIGTERM
is handled like Ctrl-C: the servers stop and their data directory is removed) still leaves
figures behind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import threading
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.infra import servers
from reporting.simulator.load import LoadStats, catch_up, simulate
from reporting.simulator.world import ALL_SERVICES, Params

RESULTS = Path(__file__).parent / "simulator-results"
PROGRESS_CLUBS = 10
# Seed scale needs well over the library's hour when the machine is shared.
CATCH_UP_TIMEOUT = 6 * 3_600
CATCH_UP_POLL = 15.0


class PeakRss:
    """Samples the RSS of processes (and their children) every `interval` seconds."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        self.pids = pids
        self.interval = interval
        self.peaks: dict[str, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self, pid: int) -> int:
        try:
            process = psutil.Process(pid)
            total = process.memory_info().rss
            for child in process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            return int(total)
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peaks[name] = max(self.peaks[name], self._rss(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class Progress:
    """Logs each step of a run and keeps the partial result on disk."""

    def __init__(self, path: Path, params: Params, rss: dict[str, int]) -> None:
        self.path = path
        self.rss = rss
        self.started = time.perf_counter()
        self.state: dict[str, Any] = {
            "partial": True,
            "params": {k: str(v) for k, v in asdict(params).items()},
            "phase": "load",
            "loadavg_samples": [],
        }

    def note(self, line: str) -> None:
        elapsed = time.perf_counter() - self.started
        load = os.getloadavg()
        self.state["elapsed_seconds"] = round(elapsed, 1)
        self.state["loadavg_samples"].append([round(elapsed), *(round(x, 2) for x in load)])
        self.state["peak_rss_mb"] = {k: round(v / 2**20) for k, v in self.rss.items()}
        self.path.write_text(json.dumps(self.state, indent=2, ensure_ascii=False) + "\n")
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        print(f"{stamp} +{elapsed:7.0f}s load {load[0]:.2f} {line}", flush=True)

    def loaded(self, stats: LoadStats) -> None:
        self.state.update(
            clubs=stats.clubs,
            events=dict(stats.events),
            events_total=stats.total_events,
            simulate_seconds=round(stats.simulate_seconds, 1),
            append_seconds=round(stats.append_seconds, 1),
        )
        self.note(
            f"clubs {stats.clubs} events appended {stats.total_events:,}"
            f" (simulate {stats.simulate_seconds:.0f}s, append {stats.append_seconds:.0f}s)"
        )

    def catching_up(self, seconds: float, lags: dict[str, int]) -> None:
        self.state.update(phase="catch-up", catch_up_seconds=round(seconds, 1), lags=lags)
        self.note(f"catch-up {seconds:.0f}s lag {sum(lags.values()):,} {lags}")


async def bench(params: Params, log: Progress | None = None) -> dict[str, Any]:
    with servers() as s:
        dsns: dict[str, str] = {n: await s.database(f"sim_{n}") for n in ALL_SERVICES}
        reporting_dsn = await s.database("sim_reporting")
        pids = {"simulator+relays+projections (python)": psutil.Process().pid}
        for pid in sorted(s.server_pids):
            pids[psutil.Process(pid).name()] = pid
        with PeakRss(pids) as rss:
            if log is not None:
                log.rss = rss.peaks
            started = time.perf_counter()
            stats = await simulate(
                params,
                dsns,
                progress=log.loaded if log else None,
                progress_every=PROGRESS_CLUBS,
            )
            load_seconds = time.perf_counter() - started
            load_rss = dict(rss.peaks)
            if log is not None:
                log.loaded(stats)
                log.state["load_seconds"] = round(load_seconds, 1)
                log.state["peak_rss_mb_during_load"] = {
                    k: round(v / 2**20) for k, v in load_rss.items()
                }
            caught = await catch_up(
                dict(dsns),
                reporting_dsn,
                s.nats_url,
                timeout=CATCH_UP_TIMEOUT,
                poll=CATCH_UP_POLL,
                progress=log.catching_up if log else None,
            )
        total = stats.total_events
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "python": platform.python_version(),
                "cpus": psutil.cpu_count(),
                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                "postgres": s.postgres_source,
                "nats": s.nats_source,
            },
            "params": {k: str(v) for k, v in asdict(params).items()},
            "clubs": stats.clubs,
            "events": stats.events,
            "events_total": total,
            "appends": stats.appends,
            "load_seconds": round(load_seconds, 1),
            "simulate_seconds": round(stats.simulate_seconds, 1),
            "append_seconds": round(stats.append_seconds, 1),
            "load_events_per_second": round(total / load_seconds),
            "append_events_per_second": round(total / stats.append_seconds),
            "catch_up_seconds": round(caught.seconds, 1),
            "catch_up_events_per_second": round(total / caught.seconds),
            "published": caught.relays,
            "applied": caught.projections,
            "parked": caught.parked,
            "peak_rss_mb_during_load": {k: round(v / 2**20) for k, v in load_rss.items()},
            "peak_rss_mb": {k: round(v / 2**20) for k, v in rss.peaks.items()},
        }


def main() -> None:
    defaults = Params()
    parser = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__)
    parser.add_argument("--clubs", type=int, default=defaults.clubs)
    parser.add_argument("--provinces", type=int, default=defaults.provinces)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args()
    params = replace(
        defaults,
        clubs=args.clubs,
        provinces=min(args.provinces, args.clubs),
        years=args.years,
        seed=args.seed,
    )
    # SIGTERM unwinds like Ctrl-C so the servers stop and their data directory goes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    RESULTS.mkdir(exist_ok=True)
    name = f"{params.clubs}x{params.years}"
    log = Progress(RESULTS / f"{name}.partial.json", params, {})
    try:
        result = asyncio.run(bench(params, log))
    except KeyboardInterrupt:
        log.state["cut_off"] = True
        log.note("cut off")
        sys.exit(130)
    result["loadavg_samples"] = log.state["loadavg_samples"]
    log.path.unlink()
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
