"""The benchmark entry point: `uv run python -m bench.run [--quick] [--only ...] [--profile]`.

Starts its own Postgres (fsync on) and NATS (`sync_interval: always`) in a temporary
directory unless ISHC_BENCH_DATABASE_URL / ISHC_BENCH_NATS_URL are set, runs the append,
relay and projection benchmarks each beside its raw reference, prints the table and writes
bench/results/latest.json (bench/results/quick.json with --quick; profiled runs write
bench/results/profiled.json and pyinstrument profiles to bench/profiles/).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from bench import append, projection, relay
from bench.cpu import CpuMeter, loadavg
from bench.infra import Servers, servers
from bench.measure import (
    Measurement,
    TimeBox,
    other_cpu_share,
    profile_sections,
    save_profiles,
    settle_waited,
    use_meter,
)

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = ("append", "relay", "projection")


@dataclass(frozen=True)
class Row:
    """One line of the table: ours beside its reference, and the target on their ratio."""

    benchmark: str
    ours: Measurement
    reference: Measurement
    target: float | None  # minimum ours/reference; None: shown for information

    @property
    def ratio(self) -> float:
        return self.ours.rate / self.reference.rate if self.reference.rate else 0.0

    @property
    def other_cpu(self) -> float | None:
        """The larger share of the machine others used while ours or the reference ran."""
        shares = [
            m.detail["other_cpu_share"]
            for m in (self.ours, self.reference)
            if m.detail.get("other_cpu_share") is not None
        ]
        return max(shares) if shares else None

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio >= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "ours": self.ours.as_json(),
            "reference": self.reference.as_json(),
            "ratio": round(self.ratio, 3),
            "target_ratio": self.target,
            "met": self.met,
            "other_cpu_share": self.other_cpu,
        }


@dataclass(frozen=True)
class Plan:
    box: TimeBox
    relay_events: int
    projection_events: int
    rounds: int  # relay and projection: ours and raw alternate this many times
    diagnostics: bool


def plan(quick: bool) -> Plan:
    if quick:
        return Plan(TimeBox(0.5, 2.0, slices=2), 20_000, 20_000, 1, False)
    return Plan(TimeBox(1.0, 6.0, slices=6), 50_000, 50_000, 3, True)


async def bench_append(srv: Servers, p: Plan) -> tuple[list[Row], list[Measurement]]:
    """Per client count, ours, raw and eventsourcing (both ways) in alternating slices."""
    settings = append.AppendSettings(p.box)
    measured: dict[int, list[Measurement]] = {}
    for clients in (1, 8):
        plural = "client" if clients == 1 else "clients"
        waits = clients > 1
        measured[clients] = await append.together(
            [
                append.ours(
                    srv,
                    clients,
                    settings,
                    name=f"append ours {clients} {plural}",
                    sample_waits=waits,
                ),
                append.raw(
                    srv,
                    clients,
                    settings,
                    name=f"append raw {clients} {plural}",
                    sample_waits=waits,
                ),
                append.eventsourcing(
                    srv, clients, settings, name=f"eventsourcing {clients}c get+save", reload=True
                ),
                append.eventsourcing(
                    srv, clients, settings, name=f"eventsourcing {clients}c save", reload=False
                ),
            ],
            p.box,
        )
    (ours1, raw1, *es1), (ours8, raw8, *es8) = measured[1], measured[8]
    # The faster way of using the library is the reference: the stricter target.
    best1, best8 = max(es1, key=lambda m: m.rate), max(es8, key=lambda m: m.rate)
    rows = [
        Row("append, 1 client vs eventsourcing", ours1, best1, 2.0),
        Row("append, 8 clients vs eventsourcing", ours8, best8, 2.0),
        Row("append, 8 clients vs raw asyncpg", ours8, raw8, 0.70),
        Row("append, 1 client vs raw asyncpg", ours1, raw1, None),
    ]
    extra = await append_diagnostics(srv, settings) if p.diagnostics else []
    return rows, [*measured[1], *measured[8], *extra]


async def append_diagnostics(srv: Servers, settings: append.AppendSettings) -> list[Measurement]:
    """What bounds the command path: round trips, the replay, NOTIFY, the relay beside it.
    Each alone (not interleaved), so that WAL fsyncs per command can be counted."""
    box = TimeBox(1.0, 4.0)
    sampled = {"sample_waits": True, "count_fsyncs": True}
    alone = [
        append.ours(srv, 8, settings, name="diag: ours 8c, alone", **sampled),
        append.ours(srv, 8, settings, name="diag: ours 8c, NOTIFY off", notify=False, **sampled),
        append.ours(
            srv, 8, settings, name="diag: ours 8c, no relay running", relay=False, **sampled
        ),
        append.raw(srv, 8, settings, name="diag: raw 8c, alone", **sampled),
        append.store_only(srv, 8, settings, name="diag: store.append only 8c", **sampled),
        append.store_only(
            srv,
            8,
            settings,
            name="diag: store.append only 8c, NOTIFY off",
            notify=False,
            **sampled,
        ),
    ]
    measured = list(await append.latencies(srv))
    for side in alone:
        measured.append(await append.alone(side, box))
    measured.append(
        await append.alone(
            append.store_only(srv, 1, settings, name="diag: store.append only 1c"), box
        )
    )
    return measured


async def bench_relay(srv: Servers, p: Plan) -> tuple[list[Row], list[Measurement]]:
    settings = relay.RelaySettings(p.relay_events)
    ours, rows = await relay.ours(srv, settings, name="relay ours")
    raw = await relay.raw(srv, rows, settings, name="relay raw atomic batches")
    for _ in range(p.rounds - 1):  # alternate, so that both see the same background
        again, rows = await relay.ours(srv, settings, name="relay ours")
        ours.add(again)
        raw.add(await relay.raw(srv, rows, settings, name="relay raw atomic batches"))
    return [Row("relay store → JetStream", ours, raw, 0.5)], [ours, raw]


async def bench_projection(srv: Servers, p: Plan) -> tuple[list[Row], list[Measurement]]:
    settings = projection.ProjectionSettings(p.projection_events)
    source = await projection.publish_source(srv, settings)
    name = "projection ours"
    ours = await projection.ours(srv, source, settings, name=name, mode="writer")
    raw = await projection.raw(srv, source, settings, name="projection raw fetch+upsert")
    for _ in range(p.rounds - 1):  # alternate, so that both see the same background
        ours.add(await projection.ours(srv, source, settings, name=name, mode="writer"))
        raw.add(await projection.raw(srv, source, settings, name="projection raw fetch+upsert"))
    measured = [ours, raw]
    if p.diagnostics:
        diagnostics: list[tuple[str, projection.Mode]] = [
            ("diag: projection ours, handler (execute per event)", "handler"),
            ("diag: projection ours, no-op handler", "noop"),
        ]
        for diag, mode in diagnostics:
            measured.append(await projection.ours(srv, source, settings, name=diag, mode=mode))
    return [Row("projection catch-up", ours, raw, 0.5)], measured


def _command_output(*argv: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return ""
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": _command_output("nproc"),
        "cpu": cpu,
        "free_h": _command_output("free", "-h"),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
    }


def code_version() -> dict[str, Any]:
    """Which runtime and contracts code was measured: others edit the tree while we run, so
    the import path, a digest of the imported sources, and the repository's state at start."""
    import ishc_contracts  # noqa: PLC0415
    import ishc_runtime  # noqa: PLC0415

    found: dict[str, Any] = {}
    for module in (ishc_runtime, ishc_contracts):
        root = Path(module.__file__ or "").parent
        digest = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".sql"}:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        found[module.__name__] = {"path": str(root), "sources_sha256": digest.hexdigest()[:16]}
    repo = Path(__file__).resolve().parent.parent
    found["repository_head"] = _command_output("git", "-C", str(repo), "rev-parse", "HEAD")
    in_tree = Path(ishc_runtime.__file__ or "").resolve().is_relative_to(repo)
    found["measured"] = "working tree" if in_tree else "sources from PYTHONPATH"
    if os.environ.get("ISHC_BENCH_CODE_REF"):  # what those sources are, e.g. a commit id
        found["code_ref"] = os.environ["ISHC_BENCH_CODE_REF"]
    if in_tree:
        dirty = _command_output(
            "git", "-C", str(repo), "status", "--porcelain", "--", "runtime/src", "contracts/src"
        )
        found["uncommitted_sources"] = [line.strip() for line in dirty.splitlines()]
    return found


def table(rows: list[Row]) -> str:
    head = ("benchmark", "ours", "raw reference", "ratio", "target", "met?", "other CPU")
    lines = [head]
    for row in rows:
        target = "—" if row.target is None else f"≥ {row.target:.2f}"
        met = {None: "(info)", True: "yes", False: "NO"}[row.met]
        lines.append(
            (
                row.benchmark,
                f"{row.ours.rate:,.0f} {row.ours.unit}/s",
                f"{row.reference.rate:,.0f} {row.reference.unit}/s ({row.reference.name})",
                f"{row.ratio:.2f}",
                target,
                met,
                "?" if row.other_cpu is None else f"{row.other_cpu:.0%}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def _notes(m: Measurement) -> str:
    notes = []
    if m.detail.get("other_cpu_share") is not None:
        notes.append(f"other CPU {m.detail['other_cpu_share']:.0%}")
    waits = m.detail.get("pg_waits")
    if waits:
        top = ", ".join(f"{k} {v:.0%}" for k, v in list(waits["wait_share"].items())[:3])
        notes.append(f"pg busy backends {waits['busy_backends_avg']}: {top}")
        locks = waits.get("ungranted_locks_seen")
        if locks:
            lock, seen = next(iter(locks.items()))
            notes.append(f"waits for {lock} in {seen / waits['samples']:.1f} per sample")
    if waits and waits.get("wal_fsyncs") is not None and m.detail.get("completed_incl_warmup"):
        per = waits["wal_fsyncs"] / m.detail["completed_incl_warmup"]
        notes.append(f"WAL fsyncs per command {per:.2f}")
    return "; ".join(notes)


def measurements_table(measured: list[Measurement]) -> str:
    lines = [(m.name, f"{m.rate:,.0f} {m.unit}/s", _notes(m)) for m in measured]
    widths = [max(len(line[i]) for line in lines) for i in range(2)]
    return "\n".join(
        f"{a.ljust(widths[0])} | {b.rjust(widths[1])} | {c}".rstrip() for a, b, c in lines
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    p = plan(args.quick)
    chosen = args.only or list(BENCHMARKS)
    runners = {"append": bench_append, "relay": bench_relay, "projection": bench_projection}
    rows: list[Row] = []
    measured: list[Measurement] = []
    # A plain SIGTERM would skip the clean-up: cancel instead, so the servers are stopped.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    started = time.monotonic()
    code = code_version()
    load_before = loadavg()
    with servers(Path(args.workdir) if args.workdir else None) as srv:
        meter = CpuMeter({os.getpid(), *srv.server_pids}) if srv.server_pids else None
        use_meter(meter, settle_budget=args.settle)
        facts = await srv.postgres_facts()
        if facts["fsync"] != "on" or facts["synchronous_commit"] != "on":
            print(f"warning: Postgres is not durable: {facts}", file=sys.stderr)
        print(f"postgres: {srv.postgres_source} {facts}", file=sys.stderr)
        print(f"nats: {srv.nats_source} sync_always={srv.nats_sync_always}", file=sys.stderr)
        try:
            for name in chosen:
                t0 = time.monotonic()
                got_rows, got = await runners[name](srv, p)
                for m in got:
                    share = other_cpu_share(m.name)
                    m.detail["other_cpu_share"] = None if share is None else round(share, 3)
                rows += got_rows
                measured += got
                print(f"{name}: done in {time.monotonic() - t0:.1f}s", file=sys.stderr)
        finally:
            await srv.databases.drop_all()
    for path in save_profiles():
        print(f"profile: {path}", file=sys.stderr)
    print("\nall measurements (diag: diagnostics, no target):")
    print(measurements_table(measured))
    print()
    print(table(rows))
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "uv run python -m bench.run " + shlex.join(sys.argv[1:]),
        "mode": "quick" if args.quick else "full",
        "profiled": bool(args.profile),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "loadavg_before_after": [load_before, loadavg()],
        "waited_for_quiet_s": settle_waited(),
        "code": code,
        "postgres": {"source": srv.postgres_source, **facts},
        "nats": {"source": srv.nats_source, "sync_always": srv.nats_sync_always},
        "settings": {
            "warmup_s": p.box.warmup,
            "measured_s": p.box.seconds,
            "relay_events": p.relay_events,
            "projection_events": p.projection_events,
        },
        "table": [row.as_json() for row in rows],
        "measurements": [m.as_json() for m in measured],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run (under a minute)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parser.add_argument(
        "--profile",
        nargs="*",
        metavar="SECTION",
        help="sample the named sections (all if none named) with pyinstrument",
    )
    parser.add_argument(
        "--settle",
        type=float,
        help="seconds the run may wait, in total, for other processes to quiet down before"
        " its measurements (default: 60, 10 with --quick; 0: never wait)",
    )
    parser.add_argument("--workdir", help="keep the servers' files here (default: a temp dir)")
    parser.add_argument("--out", help="JSON results path (default: bench/results/<mode>.json)")
    args = parser.parse_args()
    if args.settle is None:
        args.settle = 10.0 if args.quick else 60.0
    if args.profile is not None:
        profile_sections(set(args.profile) or {"*"})
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        results = asyncio.run(main_async(args))
    except asyncio.CancelledError:
        sys.exit(143)  # SIGTERM: the servers were stopped on the way out
    default = "profiled" if args.profile is not None else "quick" if args.quick else "latest"
    out = Path(args.out) if args.out else RESULTS / f"{default}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(
        f"\nresults: {os.path.relpath(out)}  ({results['wall_seconds']}s,"
        f" {results['waited_for_quiet_s']}s of it waiting for other processes to quiet down)"
    )


if __name__ == "__main__":
    main()
