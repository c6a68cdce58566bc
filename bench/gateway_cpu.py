"""CPU per command of the gateway path, per process (issue #22):
`uv run python -m bench.gateway_cpu [--rate 100] [--duration 20] [--cprofile]`.

The same system as `bench.gateway` (each service and the gateway in its own process, own
Postgres and NATS), driven by one open loop of `record-visit` commands at a modest fixed rate
that the machine carries with room to spare: what each process spends per command is then
its CPU time over the phase divided by the commands answered, which a shared machine
disturbs far less than a rate or a latency. With `--cprofile` the gateway and the care and
advocacy processes are profiled (cProfile, deterministic: it slows them, so the CPU figures
of that run are not comparable) during the phase; the functions costing most are written to
`bench/profiles/cpu_<process>.txt`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import structlog

from bench.cpu import loadavg
from bench.gateway import PROFILE_DIR, VOLUNTEERS, Usage, visit_sender
from bench.gateway_http import HttpPool
from bench.gateway_load import drain, open_loop
from bench.gateway_system import (
    Prepared,
    prepare_cases,
    register_volunteers,
    running,
    secretary_token,
)
from bench.gateway_targets import PROFILE_ENV, PROFILER_ENV
from bench.infra import servers
from bench.measure import wait_for
from bench.run import code_version

# The processes a command passes through (the other roles idle during the phase).
ROLES = ("gateway", "svc-care", "svc-advocacy", "postgres", "nats")
PROFILED = {"gateway": "cpu_http", "svc-care": "cpu_svc_care", "svc-advocacy": "cpu_svc_advocacy"}


async def measure(rate: float, seconds: float, cases: int, profile: bool) -> dict[str, Any]:
    bearer = secretary_token()
    with tempfile.TemporaryDirectory(prefix="ishc-gw-cpu-") as tmp, servers(None) as srv:
        logs = Path(tmp) / "logs"
        logs.mkdir()
        try:
            async with running(srv, logs, services_together=False) as system:
                pool = HttpPool(system.gateway_url, 64)
                try:
                    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=30) as http:
                        prepared_cases = await prepare_cases(http, bearer, cases + 1)
                        volunteers = await register_volunteers(
                            http, bearer, VOLUNTEERS, prepared_cases.pop()
                        )
                    send = visit_sender(pool, bearer, Prepared(prepared_cases, volunteers))
                    await open_loop(send, rate, 3.0)  # warm-up: connections, caches
                    await drain(send)
                    if profile:
                        for role in PROFILED:
                            system.processes[role].send_signal(signal.SIGUSR1)
                    usage = Usage(system, srv.server_pids)
                    phase: dict[str, Any] = {}
                    async with usage.phase(phase):
                        stats, _late = await open_loop(send, rate, seconds)
                    if profile:
                        for role in PROFILED:
                            system.processes[role].send_signal(signal.SIGUSR2)

                        async def written() -> bool:
                            return all(
                                (PROFILE_DIR / f"{name}.txt").exists() for name in PROFILED.values()
                            )

                        await wait_for(written, timeout=120, interval=0.2)
                finally:
                    await pool.close()
        finally:
            await srv.databases.drop_all()
    summary = stats.summary()
    answered = summary["requests"] - summary["errors"]
    per_command = {
        role: round(cpu / answered * 1000, 3)
        for role, cpu in phase["cpu_seconds"].items()
        if role in (*ROLES, "generator")
    }
    per_command["total (gateway..nats)"] = round(sum(per_command[r] for r in ROLES), 3)
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "answered": answered,
        "latency": summary,
        "cpu_ms_per_command": per_command,
        "other_cpu_share": phase["other_cpu_share"],
        "loadavg_end": phase["loadavg_end"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_cpu", description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="commands/s (open loop)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--cases", type=int, default=100, help="care cases to spread over")
    parser.add_argument("--cprofile", action="store_true", help="cProfile the processes")
    parser.add_argument("--out", help="JSON results path")
    args = parser.parse_args()
    if args.cprofile:
        for name in PROFILED.values():
            (PROFILE_DIR / f"{name}.txt").unlink(missing_ok=True)
        os.environ[PROFILE_ENV] = str(PROFILE_DIR)  # the target processes inherit them
        os.environ[PROFILER_ENV] = "cprofile"
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    before, started = loadavg(), time.monotonic()
    found = asyncio.run(measure(args.rate, args.duration, args.cases, args.cprofile))
    result = {
        "command": "uv run python -m bench.gateway_cpu " + " ".join(sys.argv[1:]),
        "code": code_version(),
        "loadavg_before": before,
        "wall_seconds": round(time.monotonic() - started, 1),
        "profiled": args.cprofile,
        **found,
    }
    print(json.dumps({k: result[k] for k in ("cpu_ms_per_command", "latency")}, indent=1))
    print(f"other CPU share {result['other_cpu_share']}, load {before} → {result['loadavg_end']}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
