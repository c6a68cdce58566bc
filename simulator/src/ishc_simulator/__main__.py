"""`python -m ishc_simulator --clubs N --years Y --seed S`: simulate a national network
with the services' real domain code and load it, in bulk, into each service's own database;
`--catch-up` then runs the relays and the reporting projections until nothing lags.

Databases: `--dsn-template postgresql://user@host/{service}` or each service's own
<SERVICE>_DATABASE_URL (MEMBERSHIP_, FINANCE_, CARE_, ADVOCACY_, REPORTING_)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import asdict, replace
from typing import Any

from ishc_simulator.load import catch_up, simulate
from ishc_simulator.world import ALL_SERVICES, Params


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = Params()
    parser = argparse.ArgumentParser(prog="python -m ishc_simulator", description=__doc__)
    parser.add_argument("--clubs", type=int, default=defaults.clubs)
    parser.add_argument("--provinces", type=int, default=defaults.provinces)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--start-year", type=int, default=defaults.start_year)
    parser.add_argument("--members", type=float, default=defaults.members_per_club)
    parser.add_argument("--care-per-club", type=float, default=defaults.care_per_club)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--dsn-template", default=None, help="e.g. postgresql://u@h/{service}")
    parser.add_argument("--catch-up", action="store_true", help="then run relays + projections")
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    return parser.parse_args(argv)


def dsn_for(service: str, template: str | None) -> str:
    if template:
        return template.format(service=service)
    key = f"{service.upper()}_DATABASE_URL"
    if key not in os.environ:
        sys.exit(f"set {key} or pass --dsn-template")
    return os.environ[key]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    params = replace(
        Params(),
        clubs=args.clubs,
        provinces=args.provinces,
        years=args.years,
        start_year=args.start_year,
        members_per_club=args.members,
        care_per_club=args.care_per_club,
        seed=args.seed,
    )
    dsns: dict[str, str] = {s: dsn_for(s, args.dsn_template) for s in ALL_SERVICES}
    started = time.perf_counter()
    stats = await simulate(params, dsns)
    load_seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "params": {
            k: str(v) if not isinstance(v, int | float) else v for k, v in asdict(params).items()
        },
        "events": stats.events,
        "events_total": stats.total_events,
        "load_seconds": round(load_seconds, 2),
        "simulate_seconds": round(stats.simulate_seconds, 2),
        "append_seconds": round(stats.append_seconds, 2),
        "appends": stats.appends,
        "load_events_per_second": round(stats.total_events / load_seconds)
        if load_seconds
        else None,
    }
    if args.catch_up:
        caught = await catch_up(dsns, dsn_for("reporting", args.dsn_template), args.nats_url)
        out["catch_up_seconds"] = round(caught.seconds, 2)
        out["catch_up_events_per_second"] = (
            round(stats.total_events / caught.seconds) if caught.seconds else None
        )
        out["published"] = caught.relays
        out["applied"] = caught.projections
        out["parked"] = caught.parked
    return out


def main(argv: list[str] | None = None) -> None:
    print(json.dumps(asyncio.run(run(parse(argv))), indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
