"""The simulator as a benchmark: `uv run python -m bench.simulate [--clubs N] [--years Y]`.

Starts its own Postgres and NATS (bench.infra, or ISHC_BENCH_DATABASE_URL / _NATS_URL), gives
each service its own database, simulates a national network with the services' real domain
code (reporting.simulator), appends it in bulk through the event stores, then runs the four
relays and the reporting projections until nothing lags. Records events generated, time to
load, time to catch up, events/s and peak RSS of this process and of the Postgres and NATS
servers it started, to bench/simulator-results/<clubs>x<years>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import threading
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.infra import servers
from reporting.simulator.load import catch_up, simulate
from reporting.simulator.world import ALL_SERVICES, Params

RESULTS = Path(__file__).parent / "simulator-results"


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


async def bench(params: Params) -> dict[str, Any]:
    with servers() as s:
        dsns = {service: await s.database(f"sim_{service}") for service in ALL_SERVICES}
        reporting_dsn = await s.database("sim_reporting")
        pids = {"simulator+relays+projections (python)": psutil.Process().pid}
        for pid in sorted(s.server_pids):
            pids[psutil.Process(pid).name()] = pid
        with PeakRss(pids) as rss:
            started = time.perf_counter()
            stats = await simulate(params, dsns)
            load_seconds = time.perf_counter() - started
            load_rss = dict(rss.peaks)
            caught = await catch_up(dict(dsns), reporting_dsn, s.nats_url)
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
    result = asyncio.run(bench(params))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{params.clubs}x{params.years}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
