"""What every benchmark shares: measurements, interleaved time-boxed clients, noise, profiles.

The machine these benchmarks run on is small and shared (2 cores; other people's test suites
come and go). So `ours` and its reference are measured in alternating slices rather than one
after the other: both see the same background on average and their ratio stays meaningful
even when the absolute numbers move. What the rest of the machine used is recorded per
measurement (`other_cpu_share`), and a run can wait, bounded, for it to quiet down.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import asyncpg

from bench.cpu import CpuMeter

PROFILE_DIR = Path(__file__).parent / "profiles"

# -- noise: what others used while we measured -------------------------------------------

_METER: CpuMeter | None = None
_OTHER: dict[str, list[float]] = {}  # name -> [foreign CPU seconds, wall seconds]
_SETTLE = {"budget": 0.0, "threshold": 0.10, "waited": 0.0}


def use_meter(meter: CpuMeter | None, *, settle_budget: float = 0.0) -> None:
    """Set the run's CPU meter; `settle_budget`: seconds the run may spend, in total, waiting
    for other processes to quiet down before measurements start."""
    global _METER  # noqa: PLW0603 - one meter per run, set by the entry point
    _METER = meter
    _SETTLE.update(budget=settle_budget, waited=0.0)


def other_cpu_share(name: str) -> float | None:
    """Share of the machine (all cores) others used while `name` was being measured."""
    if _METER is None or name not in _OTHER:
        return None
    foreign, wall = _OTHER[name]
    return foreign / (wall * _METER.cores) if wall > 0 else None


async def settle(max_wait: float = 15.0) -> None:
    """Before a measurement: wait (bounded by the run's budget) until the rest of the machine
    has used under 10% of the CPU for half a second. Noise is recorded either way."""
    meter = _METER
    if meter is None:
        return
    limit = min(max_wait, _SETTLE["budget"] - _SETTLE["waited"])
    began = time.perf_counter()
    while True:
        start, t0 = meter.sample(), time.perf_counter()
        await asyncio.sleep(0.5)
        share = meter.foreign_share(start, meter.sample(), time.perf_counter() - t0)
        if share < _SETTLE["threshold"] or (time.perf_counter() - began) >= limit:
            break
    _SETTLE["waited"] += time.perf_counter() - began


def settle_waited() -> float:
    return round(_SETTLE["waited"], 1)


@contextlib.contextmanager
def watch(name: str) -> Iterator[None]:
    """Add what the rest of the machine used during this block to `name`'s account."""
    meter = _METER
    if meter is None:
        yield
        return
    start, began = meter.sample(), time.perf_counter()
    try:
        yield
    finally:
        end, wall = meter.sample(), time.perf_counter() - began
        share = meter.foreign_share(start, end, wall)
        account = _OTHER.setdefault(name, [0.0, 0.0])
        account[0] += share * wall * meter.cores
        account[1] += wall


# -- measurements ---------------------------------------------------------------------------


@dataclass
class Measurement:
    """`count` operations (commands, events, messages) completed in `seconds` of wall time."""

    name: str
    count: int
    seconds: float
    unit: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def add(self, other: Measurement) -> None:
        """Fold another round of the same measurement into this one."""
        self.count += other.count
        self.seconds += other.seconds
        self.detail["rounds"] = self.detail.get("rounds", 1) + 1

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "seconds": round(self.seconds, 4),
            "rate_per_s": round(self.rate, 1),
            "unit": self.unit,
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True)
class TimeBox:
    """Clients run `warmup` seconds unmeasured, then `seconds` measured in `slices` slices
    (alternating with the other sides of an interleaved comparison)."""

    warmup: float
    seconds: float
    slices: int = 1


Operation = Callable[[], Awaitable[object]]


@dataclass
class Side:
    """One contender of an interleaved comparison: its client loops and what to record."""

    name: str
    unit: str
    operations: list[Operation]
    sampler: WaitSampler | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    # How a slice runs when the side is not asyncio clients (threads of a blocking library):
    # seconds -> (operations finished in time, operations finished).
    runner: Callable[[float], Awaitable[tuple[int, int]]] | None = None

    async def run(self, seconds: float) -> tuple[int, int]:
        if self.runner is not None:
            return await self.runner(seconds)
        return await _slice(self.operations, seconds)


async def _slice(operations: list[Operation], seconds: float) -> tuple[int, int]:
    """All clients loop for `seconds`; (operations finished in time, operations finished)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    counted = [0, 0]

    async def client(operation: Operation) -> None:
        while True:
            await operation()
            counted[1] += 1
            if loop.time() > end:
                return
            counted[0] += 1

    await asyncio.gather(*(client(op) for op in operations))
    return counted[0], counted[1]


async def interleave(sides: list[Side], box: TimeBox) -> list[Measurement]:
    """Warm every side up, then measure them in alternating slices (A B, B A, A B, ...).

    An operation still in flight when a slice closes is finished but not counted, so a rate
    is completions per measured second. Each side's slices are sampled, profiled and charged
    for background noise under its own name.
    """
    warmup = dict.fromkeys((s.name for s in sides), 0)
    for side in sides:
        warmup[side.name] = (await side.run(box.warmup))[1]
    counts = dict.fromkeys((s.name for s in sides), 0)
    finished = dict(warmup)
    for number in range(box.slices):
        order = sides if number % 2 == 0 else list(reversed(sides))
        for side in order:
            with section(side.name):
                if side.sampler is not None:
                    side.sampler.resume()
                counted, done = await side.run(box.seconds / box.slices)
                if side.sampler is not None:
                    side.sampler.pause()
            counts[side.name] += counted
            finished[side.name] += done
    measured = []
    for side in sides:
        # The side's own dict: what its owner records after the clock stopped shows up here.
        side.detail.setdefault("clients", len(side.operations))
        side.detail["slices"] = box.slices
        side.detail["completed_incl_warmup"] = finished[side.name]
        measured.append(Measurement(side.name, counts[side.name], box.seconds, side.unit))
        measured[-1].detail = side.detail
    return measured


async def wait_for(
    predicate: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    interval: float = 0.01,
) -> None:
    """Poll `predicate` until true; a bounded wait that raises when the deadline passes."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            msg = f"condition not met within {timeout:.0f}s"
            raise TimeoutError(msg)
        await asyncio.sleep(interval)


# -- what Postgres waits on -------------------------------------------------------------------

# Heavyweight locks someone waits for; a NOTIFY at commit shows up as AccessExclusiveLock on
# the object (pg_database, 0): PostgreSQL serialises the commits of notifying transactions.
_UNGRANTED = (
    "SELECT locktype || ' ' || coalesce(classid::regclass::text, '') || ' '"
    " || coalesce(objid::text, '') || ' ' || mode AS lock FROM pg_locks WHERE NOT granted"
)
_ACTIVITY = (
    "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait"
    " FROM pg_stat_activity WHERE datname = current_database()"
    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


async def _wal_fsyncs(conn: asyncpg.Connection) -> int | None:
    """WAL fsyncs of the whole server so far (pg_stat_io has them from PostgreSQL 18)."""
    try:
        value = await conn.fetchval("SELECT sum(fsyncs) FROM pg_stat_io WHERE object = 'wal'")
    except asyncpg.PostgresError:
        return None
    return None if value is None else int(value)


class WaitSampler:
    """Samples what the database's client backends wait on (pg_stat_activity) and which
    locks they queue for, every `interval` seconds while resumed: where commits queue.

    With `count_fsyncs`, also counts the server's WAL fsyncs from open to close; that counter
    is server-wide, so only a side measured alone should ask for it.
    """

    def __init__(self, dsn: str, *, interval: float = 0.02, count_fsyncs: bool = False) -> None:
        self.dsn = dsn
        self.interval = interval
        self.count_fsyncs = count_fsyncs
        self.samples = 0
        self.waits: Counter[str] = Counter()
        self.locks: Counter[str] = Counter()
        self.wal_fsyncs: int | None = None
        self._active = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._conn: asyncpg.Connection | None = None
        self._fsyncs_at_open: int | None = None

    async def open(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)
        if self.count_fsyncs:
            self._fsyncs_at_open = await _wal_fsyncs(self._conn)
        self._task = asyncio.create_task(self._run(self._conn))

    def resume(self) -> None:
        self._active.set()

    def pause(self) -> None:
        self._active.clear()

    async def close(self) -> None:
        self._closing = True
        self._active.set()
        if self._task is not None:
            await self._task
        if self._conn is None:
            return
        try:
            if self._fsyncs_at_open is not None:
                await asyncio.sleep(1.1)  # backends report I/O within a second of going idle
                after = await _wal_fsyncs(self._conn)
                if after is not None:
                    self.wal_fsyncs = after - self._fsyncs_at_open
        finally:
            await self._conn.close()

    async def _run(self, conn: asyncpg.Connection) -> None:
        while True:
            await self._active.wait()
            if self._closing:
                return
            for row in await conn.fetch(_ACTIVITY):
                if row["state"] == "active":
                    self.waits[row["wait"]] += 1
                elif row["state"] == "idle in transaction":
                    self.waits["idle in transaction"] += 1
            for row in await conn.fetch(_UNGRANTED):
                self.locks[row["lock"]] += 1
            self.samples += 1
            await asyncio.sleep(self.interval)

    def summary(self, top: int = 6) -> dict[str, Any]:
        """Share of sampled busy backends per wait event, and backends busy per sample."""
        total = sum(self.waits.values())
        shares = {wait: round(count / total, 3) for wait, count in self.waits.most_common(top)}
        busy = round(total / self.samples, 2) if self.samples else 0.0
        return {
            "samples": self.samples,
            "busy_backends_avg": busy,
            "wait_share": shares,
            "ungranted_locks_seen": dict(self.locks.most_common(3)),
            "wal_fsyncs": self.wal_fsyncs,
        }


# -- profiles -----------------------------------------------------------------------------------

_PROFILING: set[str] = set()
_PROFILERS: dict[str, Any] = {}


def profile_sections(names: set[str]) -> None:
    """Profile the sections whose names are given ("*" for every section)."""
    _PROFILING.clear()
    _PROFILING.update(names)


def _profiler(name: str, async_mode: Literal["enabled", "disabled"]) -> Any | None:
    """The one profiler of section `name` (slices and rounds add up), if it is profiled."""
    if name not in _PROFILING and "*" not in _PROFILING:
        return None
    if name not in _PROFILERS:
        from pyinstrument import Profiler  # noqa: PLC0415 - only when profiling

        _PROFILERS[name] = Profiler(interval=0.0005, async_mode=async_mode)
    return _PROFILERS[name]


def save_profiles() -> list[Path]:
    """Write every profiled section: pyinstrument text and HTML, and a digest of hot spots."""
    from bench.hotspots import summarise  # noqa: PLC0415

    written = []
    for name, profiler in _PROFILERS.items():
        session = profiler.last_session
        if session is None:
            continue
        PROFILE_DIR.mkdir(exist_ok=True)
        slug = name.replace(" ", "_").replace(",", "").replace(":", "").replace("(", "")
        slug = slug.replace(")", "")
        text = profiler.output_text(unicode=True, color=False, short_mode=False)
        (PROFILE_DIR / f"{slug}.txt").write_text(text)
        (PROFILE_DIR / f"{slug}.html").write_text(profiler.output_html())
        session.save(str(PROFILE_DIR / f"{slug}.pyisession"))
        (PROFILE_DIR / f"{slug}.summary.txt").write_text(summarise(session))
        written.append(PROFILE_DIR / f"{slug}.txt")
    return written


@contextlib.contextmanager
def section(name: str) -> Iterator[None]:
    """A measured block: charged for background noise; under `--profile` its thread is
    sampled by pyinstrument (async_mode disabled: with many client tasks on one event loop,
    what matters is where the loop's time goes, idle waits on the network included)."""
    profiler = _profiler(name, "disabled")
    with watch(name):
        if profiler is None:
            yield
            return
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()


Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def worker_section(name: str, worker: Worker) -> Worker:
    """A measured background worker (relay, projection runner); under `--profile` it is
    sampled in its own task with pyinstrument's async mode, so time spent awaiting Postgres
    or NATS is charged to the line that awaited: a wall-clock breakdown of the worker's loop."""
    profiler = _profiler(name, "enabled")
    if profiler is None:
        return worker

    async def profiled(stopping: asyncio.Event) -> None:
        profiler.start()
        try:
            await worker(stopping)
        finally:
            profiler.stop()

    return profiled
