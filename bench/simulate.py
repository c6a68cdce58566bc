"""The simulator as a benchmark: `uv run python -m bench.simulate [--clubs N] [--years Y]`.

Starts its own Postgres and NATS (bench.infra, or ISHC_BENCH_DATABASE_URL / _NATS_URL), gives
each service its own database, simulates a national network with the services' real domain
code (ishc_simulator), appends it in bulk through the event stores, then runs the four
relays and the reporting projections until nothing lags, and last times the indicator
reports over the caught-up read model (bench.report_latency). Records events generated, time
to load, time to catch up, events/s, report latency and peak RSS of this process and of the
Postgres and NATS servers it started, to bench/simulator-results/<clubs>x<years>.json.
A run that is cut off leaves <clubs>x<years>.partial.json (bench.network).
"""

from __future__ import annotations

import argparse
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report_latency
from bench.network import (
    Progress,
    add_network_arguments,
    network_params,
    params_record,
    run_and_record,
    simulated_network,
)
from ishc_simulator.world import Params

RESULTS = Path(__file__).parent / "simulator-results"


async def bench(params: Params, log: Progress, workers: int = 0) -> dict[str, Any]:
    async with simulated_network(params, log, "sim") as network:
        caught = await network.catch_up(log, workers)
        log.state.update(catch_up_seconds=round(caught.seconds, 1), phase="reports")
        log.note(f"caught up in {caught.seconds:.0f}s, parked {caught.parked}")
        reports = await report_latency.measure(network.reporting_dsn, str(params.end.year))
        stats, total = network.stats, network.stats.total_events
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), **network.machine()},
            "params": params_record(params),
            "clubs": stats.clubs,
            "events": stats.events,
            "events_total": total,
            "appends": stats.appends,
            "load_seconds": round(network.load_seconds, 1),
            "simulate_seconds": round(stats.simulate_seconds, 1),
            "append_seconds": round(stats.append_seconds, 1),
            "load_events_per_second": round(total / network.load_seconds),
            "append_events_per_second": round(total / stats.append_seconds),
            "catch_up_workers": workers,
            "catch_up_seconds": round(caught.seconds, 1),
            "catch_up_events_per_second": round(total / caught.seconds),
            "published": caught.relays,
            "applied": caught.projections,
            "parked": caught.parked,
            "report_latency": reports,
            "peak_rss_mb_during_load": network.load_rss_mb,
            "peak_rss_mb": network.rss.peaks_mb(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.simulate", description=__doc__)
    add_network_arguments(parser, clubs=Params().clubs)
    args = parser.parse_args()
    params = network_params(args)
    run_and_record(
        RESULTS,
        f"{params.clubs}x{params.years}",
        params,
        lambda log: bench(params, log, args.catch_up_workers),
    )


if __name__ == "__main__":
    main()
