"""Gateway benchmark (issue #8, Performance): `uv run python -m bench.gateway [--quick]`.

Three targets, each a uvicorn server (one worker) in its own process, measured from this
process (the load generator) over loopback HTTP/1.1 keep-alive connections
(`bench.gateway_http`; httpx only prepares):

1. baseline: a plain FastAPI + asyncpg INSERT endpoint;
2. minimal chain: FastAPI → NATS request/reply → a FastStream subscriber in another
   process → asyncpg INSERT;
3. the real gateway (`gateway.app.create_app`, dev mode) with membership, finance, care
   and advocacy running (the real `Service`s, in one process): `POST
   /v1/care/commands/record-visit` with an HS256 bearer token of a club secretary and a fresh
   `Idempotency-Key`, round robin over prepared care cases (one stream each, so no stream
   contention): authentication, authorisation, idempotency record, the real append, relay
   and projections.

For each: open loop at `--rate` (latency from the intended send time), then capacity: a
closed loop of `--clients` clients, the three targets in alternating slices. Then the
read-your-writes lag: after a command's response, how long until `case-detail` (same
gateway, no consistency token) shows the written version. Results: a table on stdout and
JSON in `bench/results/gateway.json` (`gateway-quick.json` with `--quick`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import structlog

from bench.cpu import CpuMeter, loadavg
from bench.gateway_http import ConnectionLost, HttpPool
from bench.gateway_load import (
    LatencyStats,
    Send,
    closed_loop,
    drain,
    open_loop,
    percentile,
)
from bench.gateway_system import (
    Prepared,
    System,
    prepare_cases,
    register_volunteers,
    running,
    secretary_token,
    visit_body,
)
from bench.gateway_targets import PROFILE_ENV
from bench.infra import Servers, servers
from bench.measure import wait_for
from bench.run import code_version, machine
from ishc_contracts import new_id
from ishc_runtime.clock import SystemClock, vn_date

RESULTS = Path(__file__).parent / "results"
PROFILE_DIR = Path(__file__).parent / "profiles"
# Volunteers of the demo club taking turns: a case's k-th visit of the day has its own.
VOLUNTEERS = 64
TARGETS = ("baseline", "chain", "gateway")
P99_GOAL_MS = 25.0
CAPACITY_GOAL = 0.5  # gateway capacity / minimal chain capacity
# Measured by the issue's author on this kind of machine (2 cores, everything shared).
ISSUE_FIGURES = {
    "baseline": {"capacity_per_s": 2760, "p99_ms_at_200": 5.4},
    "chain": {"capacity_per_s": 1150, "p99_ms_at_200": 8.0},
}


@dataclass(frozen=True)
class Plan:
    rate: float
    seconds: float
    warmup: float
    clients: int
    slices: int
    cases: int
    ryw_samples: int
    profile: bool
    services_together: bool


# -- where the CPU went ---------------------------------------------------------------------


class Usage:
    """CPU of each of our processes (cores used over a phase), the generator's own, what
    the rest of the machine used, and the load average at the end."""

    def __init__(self, system: System, server_pids: set[int]) -> None:
        roots = dict(system.pids())
        for pid in server_pids:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            roots["postgres" if "postgres" in comm else "nats"] = pid
        self.meters = {role: CpuMeter({pid}) for role, pid in roots.items()}
        self.machine = CpuMeter({os.getpid(), *server_pids})

    @contextlib.asynccontextmanager
    async def phase(self, into: dict[str, Any]) -> AsyncIterator[None]:
        began, generator = time.perf_counter(), time.process_time()
        before = {role: meter.sample().ours for role, meter in self.meters.items()}
        machine = self.machine.sample()
        yield
        wall = time.perf_counter() - began
        seconds = {role: m.sample().ours - before[role] for role, m in self.meters.items()}
        seconds["generator"] = time.process_time() - generator
        into["cpu_cores"] = {role: round(c / wall, 2) for role, c in seconds.items()}
        # Unrounded (clock ticks): what CPU per operation is computed from.
        into["cpu_seconds"] = {role: round(c, 3) for role, c in seconds.items()}
        into["other_cpu_share"] = round(
            self.machine.foreign_share(machine, self.machine.sample(), wall), 3
        )
        into["loadavg_end"] = loadavg()
        into["wall_s"] = round(wall, 2)


# -- what one request is, per target -----------------------------------------------------------


def item_sender(http: HttpPool) -> Send:
    async def send(_n: int) -> int:
        body = {"id": str(uuid4()), "amount": 1, "note": "bench"}
        try:
            answer = await asyncio.wait_for(http.request("POST", "/items", json_body=body), 10)
        except (OSError, ConnectionLost, TimeoutError):
            return 0
        return answer.status

    return send


def visit_sender(http: HttpPool, bearer: str, prepared: Prepared) -> Send:
    today = vn_date(SystemClock().now())
    auth = f"Bearer {bearer}"

    async def send(n: int) -> int:
        request = http.request(
            "POST",
            "/v1/care/commands/record-visit",
            json_body=visit_body(prepared.case(n), today, prepared.volunteer(n)),
            headers={"Authorization": auth, "Idempotency-Key": str(new_id())},
        )
        try:
            answer = await asyncio.wait_for(request, 10)
        except (OSError, ConnectionLost, TimeoutError):
            return 0
        return answer.status

    return send


# -- read-your-writes ---------------------------------------------------------------------------


async def read_your_writes(
    http: HttpPool, bearer: str, prepared: Prepared, samples: int
) -> dict[str, Any]:
    """One command at a time: from its response to the first `case-detail` answer (no
    consistency token, asked back to back) that shows the version it wrote."""
    today = vn_date(SystemClock().now())
    headers = {"Authorization": f"Bearer {bearer}"}
    lags: list[float] = []
    polls: list[int] = []
    query_times: list[float] = []
    command_times: list[float] = []  # one at a time: the unloaded round trip of a command
    never = 0
    for n in range(samples):
        case_id = prepared.case(n * 7)
        sent = time.perf_counter()
        response = await http.request(
            "POST",
            "/v1/care/commands/record-visit",
            json_body=visit_body(case_id, today, prepared.volunteer(n * 7)),
            headers={**headers, "Idempotency-Key": str(new_id())},
        )
        answered = time.perf_counter()
        command_times.append(answered - sent)
        if response.status != 201:
            never += 1
            continue
        written = response.json()["streams"][f"case-{case_id}"]
        deadline, asked = answered + 5.0, 0
        while True:
            began = time.perf_counter()
            read = await http.request(
                "GET",
                "/v1/care/queries/case-detail",
                params={"case_id": str(case_id)},
                headers=headers,
            )
            now = time.perf_counter()
            query_times.append(now - began)
            asked += 1
            body = read.json()
            data = body.get("data", body) if read.status == 200 else {}
            if data.get("version", 0) >= written:
                lags.append(now - answered)
                polls.append(asked)
                break
            if now > deadline:
                never += 1
                break
    ms = [x * 1000 for x in lags]
    query_ms = [x * 1000 for x in query_times]
    command_ms = [x * 1000 for x in command_times]
    return {
        "samples": samples,
        "reflected": len(ms),
        "not_reflected_within_5s_or_failed": never,
        "lag_p50_ms": round(percentile(ms, 0.5), 2) if ms else None,
        "lag_p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
        "lag_max_ms": round(max(ms), 2) if ms else None,
        "reads_needed_p50": percentile(polls, 0.5) if polls else None,
        "reads_needed_max": max(polls) if polls else None,
        "read_p50_ms": round(percentile(query_ms, 0.5), 2) if query_ms else None,
        "command_alone_p50_ms": round(percentile(command_ms, 0.5), 2) if command_ms else None,
        "command_alone_p99_ms": round(percentile(command_ms, 0.99), 2) if command_ms else None,
    }


# -- the run ----------------------------------------------------------------------------------


async def measure(srv: Servers, plan: Plan, logs: Path) -> dict[str, Any]:
    bearer = secretary_token()
    connections = max(64, plan.clients)
    results: dict[str, Any] = {t: {"open_loop": {}, "capacity": {}} for t in TARGETS}
    loads: list[list[float]] = []

    async def sample_load(stop: asyncio.Event) -> None:
        while not stop.is_set():
            loads.append(loadavg())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)

    together = plan.services_together
    async with (
        running(srv, logs, services_together=together) as system,
        contextlib.AsyncExitStack() as stack,
    ):
        clients = {
            "baseline": HttpPool(system.baseline_url, connections),
            "chain": HttpPool(system.chain_url, connections),
            "gateway": HttpPool(system.gateway_url, connections),
        }
        for pool in clients.values():
            stack.push_async_callback(pool.close)
        progress(f"preparing {plan.cases} care cases through the gateway")
        async with httpx.AsyncClient(base_url=system.gateway_url, timeout=30) as http:
            cases = await prepare_cases(http, bearer, plan.cases + 1)
            volunteers = await register_volunteers(http, bearer, VOLUNTEERS, cases.pop())
        prepared = Prepared(cases, volunteers)
        senders: dict[str, Send] = {
            "baseline": item_sender(clients["baseline"]),
            "chain": item_sender(clients["chain"]),
            "gateway": visit_sender(clients["gateway"], bearer, prepared),
        }
        usage = Usage(system, srv.server_pids)
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_load(stop))
        try:
            for name in TARGETS:
                progress(f"{name}: open loop at {plan.rate:g}/s, {plan.seconds:g}s (+warm-up)")
                await open_loop(senders[name], plan.rate, plan.warmup)
                await drain(senders[name])
                into = results[name]["open_loop"]
                async with usage.phase(into):
                    stats, late = await open_loop(senders[name], plan.rate, plan.seconds)
                into.update(stats.summary(), rate_per_s=plan.rate)
                into["generator_late_max_ms"] = round(late * 1000, 2)
                into["drained_after_s"] = round(await drain(senders[name]), 1)
            for name, found in (await capacity(senders, plan, usage)).items():
                results[name]["capacity"] = found
            progress(f"read-your-writes: {plan.ryw_samples} samples")
            ryw: dict[str, Any] = {}
            async with usage.phase(ryw):
                ryw.update(
                    await read_your_writes(clients["gateway"], bearer, prepared, plan.ryw_samples)
                )
            results["gateway"]["read_your_writes"] = ryw
            if plan.profile:
                results["gateway"]["profiled"] = await profile(system, senders["gateway"], plan)
        finally:
            stop.set()
            await sampler
    results["loadavg_samples"] = {
        "every_s": 5,
        "min_1m": min((x[0] for x in loads), default=None),
        "max_1m": max((x[0] for x in loads), default=None),
        "all": loads,
    }
    return results


async def capacity(senders: dict[str, Send], plan: Plan, usage: Usage) -> dict[str, Any]:
    """Closed loops of `plan.clients`, the targets in alternating slices (A B C, C B A, ...)
    so that each sees the same background on average."""
    for name in TARGETS:  # unmeasured: a connection for every client, warm caches
        await closed_loop(senders[name], plan.clients, min(2.0, plan.warmup))
        await drain(senders[name])
    found: dict[str, Any] = {name: {"slices": []} for name in TARGETS}
    totals = dict.fromkeys(TARGETS, 0)
    latencies = {name: LatencyStats() for name in TARGETS}
    part = plan.seconds / plan.slices
    for number in range(plan.slices):
        for name in TARGETS if number % 2 == 0 else tuple(reversed(TARGETS)):
            progress(f"{name}: capacity slice {number + 1}/{plan.slices}, {part:g}s")
            record: dict[str, Any] = {}
            async with usage.phase(record):
                done, stats = await closed_loop(senders[name], plan.clients, part)
            record["per_s"] = round(done / part, 1)
            record["drained_after_s"] = round(await drain(senders[name]), 1)
            found[name]["slices"].append(record)
            totals[name] += done
            latencies[name].latencies += stats.latencies
            latencies[name].statuses.update(stats.statuses)
    for name in TARGETS:
        found[name].update(
            per_s=round(totals[name] / plan.seconds, 1),
            clients=plan.clients,
            seconds=plan.seconds,
            latency=latencies[name].summary(),
        )
    return found


async def profile(system: System, send: Send, plan: Plan) -> dict[str, Any]:
    """The gateway's capacity loop again, with the gateway and services processes sampled by
    pyinstrument (slower: read shares, not rates); profiles in bench/profiles/."""
    names = {
        role: "gateway_http" if role == "gateway" else f"gateway_{role.replace('-', '_')}"
        for role in system.processes
        if role in {"gateway", "services", "svc-care", "svc-advocacy"}
    }
    for name in names.values():
        (PROFILE_DIR / f"{name}.summary.txt").unlink(missing_ok=True)
    for role in names:
        system.processes[role].send_signal(signal.SIGUSR1)
    progress(f"gateway: capacity under the profiler, {plan.seconds:g}s")
    done, _ = await closed_loop(send, plan.clients, plan.seconds)
    for role in names:
        system.processes[role].send_signal(signal.SIGUSR2)

    async def written() -> bool:
        return all((PROFILE_DIR / f"{n}.summary.txt").exists() for n in names.values())

    await wait_for(written, timeout=120, interval=0.2)
    return {"per_s": round(done / plan.seconds, 1), "profiles": sorted(names.values())}


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    gateway, chain = results["gateway"], results["chain"]
    p99 = gateway["open_loop"]["p99_ms"]
    ratio = gateway["capacity"]["per_s"] / chain["capacity"]["per_s"]
    return {
        "gateway_p99_ms_at_rate": p99,
        "p99_goal_ms": P99_GOAL_MS,
        "p99_met": p99 is not None and p99 < P99_GOAL_MS and gateway["open_loop"]["errors"] == 0,
        "capacity_ratio_gateway_to_chain": round(ratio, 3),
        "capacity_goal": CAPACITY_GOAL,
        "capacity_met": ratio >= CAPACITY_GOAL,
        "ryw_recorded": gateway["read_your_writes"]["reflected"] > 0,
    }


def table(results: dict[str, Any], rate: float) -> str:
    lines = [
        f"| target | p50 / p90 / p99 / max ms at {rate:g}/s | errors | capacity req/s | "
        "capacity p99 ms |",
        "|---|---|---:|---:|---:|",
    ]
    for name in TARGETS:
        o, c = results[name]["open_loop"], results[name]["capacity"]
        lines.append(
            f"| {name} | {o['p50_ms']} / {o['p90_ms']} / {o['p99_ms']} / {o['max_ms']} | "
            f"{o['errors']} | {c['per_s']:,.0f} | {c['latency']['p99_ms']} |"
        )
    return "\n".join(lines)


def progress(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


async def main_async(args: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    started = time.monotonic()
    load_before = loadavg()
    code = code_version()
    with (
        tempfile.TemporaryDirectory(prefix="ishc-gw-bench-") as tmp,
        servers(Path(args.workdir) if args.workdir else None) as srv,
    ):
        facts = await srv.postgres_facts()
        progress(f"postgres: {srv.postgres_source} {facts}")
        progress(f"nats: {srv.nats_source} sync_always={srv.nats_sync_always}")
        try:
            logs = Path(args.workdir or tmp) / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            results = await measure(srv, plan, logs)
        finally:
            await srv.databases.drop_all()
    outcome = verdict(results)
    print(table(results, plan.rate))
    ryw = results["gateway"]["read_your_writes"]
    print(
        f"\ngateway capacity / minimal chain = {outcome['capacity_ratio_gateway_to_chain']:.2f}"
        f" (goal ≥ {CAPACITY_GOAL}: {'met' if outcome['capacity_met'] else 'NOT met'});"
        f" gateway p99 at {plan.rate:g}/s = {outcome['gateway_p99_ms_at_rate']} ms"
        f" (goal < {P99_GOAL_MS:g}: {'met' if outcome['p99_met'] else 'NOT met'});"
        f" read-your-writes lag p50 {ryw['lag_p50_ms']} ms, p99 {ryw['lag_p99_ms']} ms"
    )
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "uv run python -m bench.gateway " + shlex.join(sys.argv[1:]),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "loadavg_before_after": [load_before, loadavg()],
        "code": code,
        "postgres": {"source": srv.postgres_source, **facts},
        "nats": {"source": srv.nats_source, "sync_always": srv.nats_sync_always},
        "plan": plan.__dict__,
        "gateway_command": "POST /v1/care/commands/record-visit (club secretary, HS256 bearer,"
        " fresh Idempotency-Key, round robin over the prepared cases)",
        "issue_figures": ISSUE_FIGURES,
        "results": results,
        "verdict": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--duration", type=float, help="measured seconds per phase (30)")
    parser.add_argument("--clients", type=int, default=32, help="closed-loop clients")
    parser.add_argument("--quick", action="store_true", help="5 s phases, fewer cases")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then profile the gateway and services processes (pyinstrument) under load",
    )
    parser.add_argument(
        "--services-together",
        action="store_true",
        help="the four services in one process (as deploy/local/run.py) instead of one each",
    )
    parser.add_argument("--workdir", help="keep the servers' files and logs here")
    parser.add_argument("--out", help="JSON results path")
    args = parser.parse_args()
    plan = Plan(
        rate=args.rate,
        seconds=args.duration or (5.0 if args.quick else 30.0),
        warmup=2.0 if args.quick else 5.0,
        clients=args.clients,
        slices=1 if args.quick else 3,
        cases=100 if args.quick else 400,
        ryw_samples=30 if args.quick else 200,
        profile=args.profile,
        services_together=args.services_together,
    )
    if plan.profile:
        os.environ[PROFILE_ENV] = str(PROFILE_DIR)  # the target processes inherit it
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    results = asyncio.run(main_async(args, plan))
    out = (
        Path(args.out)
        if args.out
        else RESULTS / ("gateway-quick.json" if args.quick else "gateway.json")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults: {os.path.relpath(out)} ({results['wall_seconds']}s)")


if __name__ == "__main__":
    main()
