"""A burst of eligibility-screening timers: how long until all are settled (issue #19).

    uv run python -m bench.timers                       # 20,000 timers, the service defaults
    uv run python -m bench.timers --timers 2000 --profile
    uv run python -m bench.timers --batch-size 1 --concurrency 1   # one at a time, as before

N people known to advocacy's read models (`advocacy_people`, half of them in a household with
a poverty status), each with a birth date sealed with membership's data key, as the people
projection leaves them; N `ScreenEligibility` timers due now, as the projection schedules them
for a province's members joining. The clock runs from the advocacy scheduler's loop
(`Scheduler.run`: lease, rounds) starting until no timer is pending, and the run checks that
every timer fired once and appended exactly one `EligibilityScreened`.

The handler is advocacy's own (routes → `screening.screen` → `CommandProcessor`), through a
`ServiceContext` built as the service builds it. One difference from a deployment: membership
hands its keys over in-process (its key table read directly) instead of answering a grant
request on NATS; the advocacy cache starts cold, as after a restart. `--profile` writes a
cProfile of the run to `bench/profiles/timers.txt` (calls and time per function: round trips,
commits, key reads, validation).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from advocacy.application.routes import routes
from advocacy.application.timers import screening_id
from advocacy.definition import SERVICE, definition
from bench.cpu import CpuMeter
from bench.infra import servers
from bench.measure import wait_for
from ishc_contracts import (
    SYSTEM_ACTOR,
    CommandEnvelope,
    EventEnvelope,
    EventMetadata,
    new_id,
    sensitive_categories,
)
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import MemberJoined
from ishc_runtime.clock import FakeClock, vn_date
from ishc_runtime.leases import Leases
from ishc_runtime.observability.logging import configure_logging
from ishc_runtime.privacy import KeyRef, LocalMasterKeys, Privacy, SubjectKeys, new_key, protect
from ishc_runtime.privacy.columns import sealing_with
from ishc_runtime.scheduler import timer_command_id
from ishc_runtime.service import ServiceContext
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running

PROFILE = Path(__file__).resolve().parent / "profiles" / "timers.txt"
RESULTS = Path(__file__).resolve().parent / "results" / "timers.json"
CLUBS = 100
SCHEME = "social_pension"
_INSERT = "INSERT INTO timers (key, due_at, command) VALUES ($1, $2, $3)"


@dataclass(frozen=True)
class Settings:
    timers: int
    batch_size: int | None
    concurrency: int | None
    pool_size: int
    profile: bool
    timeout: float


class MembershipGrant:
    """Membership's side of a key grant, in-process: its key table, read directly."""

    def __init__(self, keys: SubjectKeys) -> None:
        self.keys = keys

    async def fetch(self, refs: Sequence[KeyRef]) -> Mapping[KeyRef, bytes | None]:
        return await self.keys.raw(refs)


def _joined(member_id: UUID, stream: str) -> EventEnvelope:
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    return EventEnvelope(
        event_id=new_id(), type="membership.MemberJoined", schema_version=1, stream_id=stream,
        stream_type="member", version=1, seq=1, recorded_at=datetime.now(UTC), metadata=meta,
        data={},
    )  # fmt: skip


async def seed_people(
    pool: asyncpg.Pool, privacy: Privacy, membership: SubjectKeys, count: int, today: date
) -> list[UUID]:
    """`count` people as advocacy's people projection stores them, birth dates sealed."""
    category = sensitive_categories(MemberJoined)["birth_date"]
    people = [new_id() for _ in range(count)]
    members = [new_id() for _ in range(count)]
    streams = [f"member-{m}" for m in members]
    wanted = {KeyRef(s, category): p for s, p in zip(streams, people, strict=True)}
    await membership.ensure(wanted)
    await privacy.fetch("membership", wanted)
    clubs = [new_id() for _ in range(CLUBS)]
    households = [new_id() for _ in range(count // 2 + 1)]
    rows = []
    with sealing_with(privacy):
        for n, (person, member, stream) in enumerate(zip(people, members, streams, strict=True)):
            born = date(1935 + n % 40, 1 + n % 12, 1 + n % 28)
            sealed = protect(_joined(member, stream), "birth_date", born)
            household = households[n // 2] if n % 4 < 2 else None
            rows.append((person, member, clubs[n % CLUBS], household, sealed))
    await pool.executemany(
        "INSERT INTO advocacy_people (person_id, member_id, club_id, household_id, birth_date)"
        " VALUES ($1, $2, $3, $4, $5)",
        rows,
    )
    await pool.executemany(
        "INSERT INTO advocacy_household_status (household_id, valid_from, status, standard)"
        " VALUES ($1, $2, $3, 'bench')",
        [(h, date(today.year - 1, 1, 1), "poor" if i % 2 else "near_poor")
         for i, h in enumerate(households)],
    )  # fmt: skip
    # The burst is measured as after a restart: no key of membership's cached here.
    privacy.forget_granted()
    return people


async def schedule_burst(pool: asyncpg.Pool, people: list[UUID], due: datetime) -> None:
    """One screening timer per person, as `reactions._schedule` writes them."""
    on = vn_date(due)
    rows = []
    for person in people:
        key = f"screen:bench-{person}:{SCHEME}"
        command = CommandEnvelope(
            command_id=timer_command_id(key), type="ScreenEligibility", actor=SYSTEM_ACTOR,
            payload={
                "screening_id": str(screening_id(key)), "person_id": str(person),
                "scheme": SCHEME, "as_of": on.isoformat(), "trigger": "joined",
            },
        )  # fmt: skip
        rows.append((key, due, command.model_dump_json()))
    await pool.executemany(_INSERT, rows)


async def measure(settings: Settings) -> dict[str, Any]:
    with servers() as found:
        dsn = await found.database("timers")
        membership_dsn = await found.database("timers_membership")
        await migrate(dsn, *definition().migrations)
        await migrate(membership_dsn)
        pool = await create_pool(dsn, max_size=settings.pool_size)
        membership_pool = await create_pool(membership_dsn, max_size=2)
        meter = CpuMeter({os.getpid(), *found.server_pids}) if found.server_pids else None
        try:
            return await _measure(settings, pool, membership_pool, meter)
        finally:
            await pool.close()
            await membership_pool.close()


async def _measure(
    settings: Settings, pool: asyncpg.Pool, membership_pool: asyncpg.Pool, meter: CpuMeter | None
) -> dict[str, Any]:
    master = LocalMasterKeys("k1", {"k1": new_key()})
    membership = SubjectKeys(membership_pool, master)
    privacy = Privacy(
        SERVICE,
        SubjectKeys(pool, master),
        REGISTRY,
        granted={"membership": MembershipGrant(membership)},
    )
    clock = FakeClock(datetime.now(UTC))
    leases = Leases(pool)
    ctx = ServiceContext.build(
        SERVICE, pool, REGISTRY, clock, routes, leases=leases, privacy=privacy
    )
    scheduler = ctx.scheduler
    for name in ("batch_size", "concurrency"):
        value = getattr(settings, name)
        if value is not None:
            setattr(scheduler, name, value)
    people = await seed_people(pool, privacy, membership, settings.timers, vn_date(clock.now()))
    await schedule_burst(pool, people, clock.now() - timedelta(seconds=1))
    await pool.execute("ANALYZE")

    async def settled() -> bool:
        pending = await pool.fetchval(
            "SELECT count(*) FROM timers WHERE fired_at IS NULL AND failed_at IS NULL"
        )
        return bool(pending == 0)

    profiler = cProfile.Profile() if settings.profile else None
    sampled = meter.sample() if meter is not None else None
    cpu_began = time.process_time()
    began = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    async with running(scheduler.run):
        await wait_for(settled, timeout=settings.timeout, interval=0.05)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - began
    python_cpu = time.process_time() - cpu_began
    ended = meter.sample() if meter is not None else None
    # What the rest of the (shared) machine used meanwhile: above ~10%, rates are depressed.
    other_cpu = (
        round(meter.foreign_share(sampled, ended, seconds), 2)
        if meter is not None and sampled is not None and ended is not None
        else None
    )
    # CPU per timer: this process (the service's Python) and the servers (Postgres mostly).
    per_timer = 1000 / settings.timers
    cpu_ms: dict[str, float] = {"python": round(python_cpu * per_timer, 2)}
    if sampled is not None and ended is not None:
        cpu_ms["servers"] = round((ended.ours - sampled.ours - python_cpu) * per_timer, 2)
    await leases.close()

    outcomes = await pool.fetch(
        "SELECT (last_error IS NULL) AS ok, failed_at IS NOT NULL AS failed, attempts, count(*)"
        " FROM timers GROUP BY 1, 2, 3"
    )
    screened = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'advocacy.EligibilityScreened'"
    )
    eligible = await pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'advocacy.EligibilityScreened'"
        " AND (data->>'eligible')::boolean"
    )
    result: dict[str, Any] = {
        "timers": settings.timers,
        "batch_size": scheduler.batch_size,
        "concurrency": getattr(scheduler, "concurrency", 1),
        "pool_size": settings.pool_size,
        "seconds": round(seconds, 2),
        "timers_per_second": round(settings.timers / seconds, 1),
        "other_cpu": other_cpu,
        "cpu_ms_per_timer": cpu_ms,
        "screened": screened,
        "eligible": eligible,
        "outcomes": [dict(row) for row in outcomes],
    }
    if screened != settings.timers:
        msg = f"{screened} screenings appended for {settings.timers} timers"
        raise AssertionError(msg)
    if profiler is not None:
        _write_profile(profiler)
    return result


def _write_profile(profiler: cProfile.Profile) -> None:
    PROFILE.parent.mkdir(exist_ok=True)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    PROFILE.write_text(out.getvalue())
    print(f"profile: {PROFILE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--timers", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=None, help="the scheduler's default")
    parser.add_argument("--concurrency", type=int, default=None, help="the scheduler's default")
    parser.add_argument("--pool-size", type=int, default=10, help="as the service (10)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--log", type=Path, default=None, help="the service's log (else none)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON ({RESULTS.name})")
    args = parser.parse_args()
    # As the service logs (JSON, INFO: a line per timer), to nowhere: formatting is paid for.
    log = open(args.log or os.devnull, "w")  # noqa: SIM115 - open for the whole run
    configure_logging(SERVICE, stream=log)
    settings = Settings(
        args.timers, args.batch_size, args.concurrency, args.pool_size, args.profile, args.timeout
    )
    result = asyncio.run(measure(settings))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
