"""What the simulator-backed benchmarks share (bench.simulate, bench.rebuild): their
command-line parameters, a simulated national network loaded into servers of its own, a
progress log that keeps the partial result on disk, and peak-RSS sampling.

A long run logs each step (clubs decided, events appended, catch-up lags, load average) and
rewrites `<name>.partial.json` at every step. SIGTERM is handled like Ctrl-C: the servers
stop, their data directory is removed, and the partial result stays, marked `cut_off`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from bench.infra import Servers, servers
from ishc_simulator.load import CatchUp, LoadStats, catch_up, simulate
from ishc_simulator.world import ALL_SERVICES, Params

PROGRESS_CLUBS = 10
# Seed scale needs well over the library's hour when the machine is shared.
CATCH_UP_TIMEOUT = 6 * 3_600
CATCH_UP_POLL = 15.0


def mb(size: int) -> int:
    return round(size / 2**20)


class PeakRss:
    """Samples the RSS of processes (and their children) every `interval` seconds."""

    # Each sample walks /proc for the children (psutil's ppid map): at 0.5 s it took ~9 % of
    # the bench process's samples in a seed-scale catch-up (py-spy), so sample less often.
    def __init__(self, pids: dict[str, int], interval: float = 2.0) -> None:
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

    def peaks_mb(self) -> dict[str, int]:
        return {name: mb(peak) for name, peak in self.peaks.items()}

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


class Progress:
    """Logs each step of a run and keeps the partial result on disk."""

    def __init__(self, path: Path, params: Params) -> None:
        self.path = path
        self.rss: dict[str, int] = {}
        self.started = time.perf_counter()
        self.state: dict[str, Any] = {
            "partial": True,
            "params": params_record(params),
            "phase": "load",
            "loadavg_samples": [],
        }

    def note(self, line: str) -> None:
        elapsed = time.perf_counter() - self.started
        load = os.getloadavg()
        self.state["elapsed_seconds"] = round(elapsed, 1)
        self.state["loadavg_samples"].append([round(elapsed), *(round(x, 2) for x in load)])
        self.state["peak_rss_mb"] = {k: mb(v) for k, v in self.rss.items()}
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


def params_record(params: Params) -> dict[str, str]:
    return {k: str(v) for k, v in asdict(params).items()}


def add_network_arguments(parser: argparse.ArgumentParser, *, clubs: int) -> None:
    defaults = Params()
    parser.add_argument("--clubs", type=int, default=clubs)
    parser.add_argument("--provinces", type=int, default=defaults.provinces)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--catch-up-workers",
        type=int,
        default=0,
        help="run the relays and projections in N processes (0: in this one, one core at most)",
    )


def network_params(args: argparse.Namespace) -> Params:
    return replace(
        Params(),
        clubs=args.clubs,
        provinces=min(args.provinces, args.clubs),
        years=args.years,
        seed=args.seed,
    )


@dataclass
class Network:
    """A simulated network appended to each service's own database, with RSS sampled."""

    servers: Servers
    dsns: dict[str, str]
    reporting_dsn: str
    stats: LoadStats
    load_seconds: float
    load_rss_mb: dict[str, int]
    rss: PeakRss

    async def catch_up(self, log: Progress, workers: int = 0) -> CatchUp:
        """Run the four relays and the reporting projections until nothing lags."""
        log.state["catch_up_workers"] = workers
        return await catch_up(
            dict(self.dsns),
            self.reporting_dsn,
            self.servers.nats_url,
            timeout=CATCH_UP_TIMEOUT,
            poll=CATCH_UP_POLL,
            progress=log.catching_up,
            workers=workers,
        )

    def machine(self) -> dict[str, Any]:
        return {
            "cpus": psutil.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "postgres": self.servers.postgres_source,
            "nats": self.servers.nats_source,
        }


@asynccontextmanager
async def simulated_network(
    params: Params, log: Progress, database_prefix: str
) -> AsyncIterator[Network]:
    """Start servers, simulate `params` and append it; stop and remove everything on exit."""
    with servers() as s:
        dsns: dict[str, str] = {n: await s.database(f"{database_prefix}_{n}") for n in ALL_SERVICES}
        reporting_dsn = await s.database(f"{database_prefix}_reporting")
        pids = {"simulator+relays+projections (python)": psutil.Process().pid}
        for pid in sorted(s.server_pids):
            pids[psutil.Process(pid).name()] = pid
        with PeakRss(pids) as rss:
            log.rss = rss.peaks
            started = time.perf_counter()
            stats = await simulate(params, dsns, progress=log.loaded, progress_every=PROGRESS_CLUBS)
            load_seconds = time.perf_counter() - started
            log.loaded(stats)
            log.state["load_seconds"] = round(load_seconds, 1)
            log.state["peak_rss_mb_during_load"] = rss.peaks_mb()
            yield Network(s, dsns, reporting_dsn, stats, load_seconds, rss.peaks_mb(), rss)


Bench = Callable[[Progress], Coroutine[Any, Any, dict[str, Any]]]


def run_and_record(results: Path, name: str, params: Params, bench: Bench) -> None:
    """Run `bench` to `results/<name>.json`, keeping `<name>.partial.json` until it ends."""
    # SIGTERM unwinds like Ctrl-C so the servers stop and their data directory goes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    results.mkdir(exist_ok=True)
    log = Progress(results / f"{name}.partial.json", params)
    try:
        result = asyncio.run(bench(log))
    except KeyboardInterrupt:
        log.state["cut_off"] = True
        log.note("cut off")
        sys.exit(130)
    result["loadavg_samples"] = log.state["loadavg_samples"]
    log.path.unlink()
    path = results / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "loadavg_samples"}, indent=2))
    print(f"wrote {path}")
