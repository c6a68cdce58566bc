"""Field encryption on vs off: appends of personal data, and a projection catching up on it.

    uv run python -m bench.privacy            # ~1-2 min; prints a table, writes JSON
    uv run python -m bench.privacy --events 10000 --seconds 2

Append: 4 clients, each appending `MemberProfileUpdated` (name, birth date, phone: three
sealed fields) round robin to 50 member streams it opened beforehand, through `EventStore`
with and without `Privacy`; the two sides run in alternating slices (off, on, on, off, ...)
so they share the machine's background. Keys are cached after the first append of a stream,
as in a running service.

Projection catch-up: the same events published to a fresh stream as the relay would (sealed,
or in clear), and a `ProjectionRunner` upserting one row per event through a writer that
stores the name, three ways: `off` (clear events, no privacy); `keep` (privacy on, the writer
registered with `opens=()` and storing `keep(env, "full_name")`: the event's ciphertext, no
field opened; how the services store names and birth dates); `protect` (privacy on, every
sealed field opened and the name stored with `protect(env, "full_name", value)`: a handler
that computes with clear values). With privacy the runner starts with a cold key cache: it
reads the 500 streams' keys from the table as it goes. Clock from start until the checkpoint
reaches the stream's last sequence; the CPU time of this process meanwhile (the runner's
Python, where all of the encryption's work is) is recorded per event too, as the figure a
busy machine disturbs least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.infra import Servers, servers, token
from bench.measure import settle, wait_for
from ishc_contracts import SYSTEM_ACTOR, EventEnvelope, EventMetadata, new_id, subjects
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import MemberJoined, MemberProfileUpdated
from ishc_runtime.privacy import (
    COLUMN_PREFIX,
    EVENT_COLUMN_PREFIX,
    LocalMasterKeys,
    Privacy,
    SubjectKeys,
    keep,
    new_key,
    protect,
)
from ishc_runtime.projections import Projection, ProjectionRunner, Write
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import MAX_ATOMIC_BATCH, SEQ_HEADER, TYPE_HEADER
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running

CLIENTS = 4
STREAMS_PER_CLIENT = 50
PROJECTION_STREAMS = 500
RESULTS = Path(__file__).resolve().parent / "results" / "privacy.json"


def metadata() -> EventMetadata:
    return EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))


def update(member_id: Any, n: int) -> MemberProfileUpdated:
    return MemberProfileUpdated(
        member_id=member_id,
        club_id=member_id,
        full_name=f"Nguyễn Thị Lan {n}",
        birth_date=date(1940 + n % 40, 1 + n % 12, 1 + n % 28),
        phone=f"0912{n % 1_000_000:06d}",
        village="Thôn Đông",
    )


@dataclass
class Side:
    name: str
    store: EventStore
    streams: list[list[tuple[str, Any, int]]]  # per client: (stream, member id, version)
    done: int = 0


async def prepare_side(dsn: str, name: str, privacy_on: bool) -> tuple[Side, asyncpg.Pool]:
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=CLIENTS, max_size=CLIENTS + 2)
    master = LocalMasterKeys("k1", {"k1": new_key()})
    privacy = Privacy("membership", SubjectKeys(pool, master), REGISTRY) if privacy_on else None
    store = EventStore(pool, notify=False, privacy=privacy)
    streams: list[list[tuple[str, Any, int]]] = []
    for _ in range(CLIENTS):
        own = []
        for _ in range(STREAMS_PER_CLIENT):
            member_id = new_id()
            stream = f"member-{member_id}"
            joined = MemberJoined(
                member_id=member_id,
                club_id=member_id,
                person_id=new_id(),
                full_name="Nguyễn Thị Lan",
                sex="female",
                joined_on=date(2026, 1, 1),
            )
            await store.append([StreamWrite(stream, "member", 0, [joined])], metadata())
            own.append((stream, member_id, 1))
        streams.append(own)
    return Side(name, store, streams), pool


async def append_slice(side: Side, seconds: float) -> None:
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        own = side.streams[index]
        i = 0
        while time.perf_counter() < deadline:
            stream, member_id, version = own[i % len(own)]
            event = update(member_id, side.done)
            await side.store.append([StreamWrite(stream, "member", version, [event])], metadata())
            own[i % len(own)] = (stream, member_id, version + 1)
            side.done += 1
            i += 1

    await asyncio.gather(*(client(c) for c in range(CLIENTS)))


async def bench_append(srv: Servers, seconds: float, rounds: int) -> dict[str, float]:
    off, off_pool = await prepare_side(await srv.database("privacy_off"), "off", False)
    on, on_pool = await prepare_side(await srv.database("privacy_on"), "on", True)
    spent = {"off": 0.0, "on": 0.0}
    try:
        for round_ in range(rounds):
            order = (off, on) if round_ % 2 == 0 else (on, off)
            for side in order:
                await settle(5)
                started = time.perf_counter()
                await append_slice(side, seconds)
                spent[side.name] += time.perf_counter() - started
    finally:
        await off_pool.close()
        await on_pool.close()
    return {"off": off.done / spent["off"], "on": on.done / spent["on"]}


async def publish(srv: Servers, events: int, privacy: Privacy | None) -> tuple[str, int]:
    """A fresh stream holding `events` profile updates, sealed when `privacy` is given."""
    service = f"benchpriv{token()}"
    subject = subjects.event_subject(service, "member", "MemberProfileUpdated")
    members = [new_id() for _ in range(PROJECTION_STREAMS)]
    if privacy is not None:
        await privacy.prepare(((f"member-{m}", [update(m, 0)]) for m in members), connection=None)
    pool = await create_pool(srv.admin_dsn, min_size=1, max_size=1)
    try:
        async with srv.nats("bench-privacy-fill") as nc:
            relay = Relay(pool, nc, RelayConfig(service=service))
            await relay.ensure_stream()
            meta = metadata()
            for start in range(0, events, MAX_ATOMIC_BATCH):
                count = min(MAX_ATOMIC_BATCH, events - start)
                batch = str(new_id())
                for number in range(1, count + 1):
                    n = start + number - 1
                    member = members[n % PROJECTION_STREAMS]
                    stream = f"member-{member}"
                    event = update(member, n)
                    data = (
                        event.model_dump(mode="json")
                        if privacy is None
                        else json.loads(privacy.seal(stream, event))
                    )
                    envelope = EventEnvelope(
                        event_id=new_id(),
                        type=event.wire_name(),
                        schema_version=event.schema_version,
                        stream_id=stream,
                        stream_type="member",
                        version=n // PROJECTION_STREAMS + 2,
                        seq=n + 1,
                        recorded_at=datetime.now(UTC),
                        metadata=meta,
                        data=data,
                    )
                    headers = {
                        "Nats-Msg-Id": str(envelope.event_id),
                        SEQ_HEADER: str(n + 1),
                        TYPE_HEADER: envelope.type,
                        "Nats-Batch-Id": batch,
                        "Nats-Batch-Sequence": str(number),
                    }
                    body = envelope.model_dump_json().encode()
                    if number < count:
                        await nc.publish(subject, body, headers=headers)
                    else:
                        headers["Nats-Batch-Commit"] = "1"
                        await nc.request(subject, body, timeout=10, headers=headers)
            info = await nc.jetstream().stream_info(relay.config.stream)
    finally:
        await pool.close()
    return service, info.state.last_seq


PROJECTION_SIDES = ("off", "keep", "protect")


async def bench_projection(srv: Servers, events: int, side: str) -> tuple[float, float]:
    """Events per second, and CPU µs of this process (the runner's Python) per event."""
    privacy_on = side != "off"
    dsn = await srv.database("privacy_proj")
    await migrate(dsn)
    pool = await create_pool(dsn, min_size=2, max_size=4)
    try:
        await pool.execute(
            "CREATE TABLE bench_names (stream_id text PRIMARY KEY, full_name text, version int)"
        )
        master = LocalMasterKeys("k1", {"k1": new_key()})
        writer_privacy = (
            Privacy("membership", SubjectKeys(pool, master), REGISTRY) if privacy_on else None
        )
        service, last_seq = await publish(srv, events, writer_privacy)
        # The runner's own privacy: a cold cache, keys read from the table as it goes.
        runner_privacy = (
            Privacy("membership", SubjectKeys(pool, master), REGISTRY) if privacy_on else None
        )
        projection = Projection(name=f"bench_{token()}", sources=[service])

        def names(envelope: EventEnvelope, event: object) -> list[Write]:
            assert isinstance(event, MemberProfileUpdated)
            name = (
                keep(envelope, "full_name")
                if side == "keep"
                else protect(envelope, "full_name", event.full_name)
            )
            return [
                Write(
                    "INSERT INTO bench_names VALUES ($1, $2, $3) ON CONFLICT (stream_id)"
                    " DO UPDATE SET full_name = excluded.full_name, version = excluded.version",
                    (envelope.stream_id, name, envelope.version),
                )
            ]

        projection.writes(MemberProfileUpdated, opens=() if side == "keep" else None)(names)

        async with srv.nats("bench-privacy-projection") as nc:
            runner = ProjectionRunner(
                pool, nc, projection, REGISTRY, poll_interval=0.2, privacy=runner_privacy
            )

            async def caught_up() -> bool:
                return await runner.checkpoint(service) >= last_seq

            await settle(5)
            started, cpu = time.perf_counter(), time.process_time()
            async with running(runner.run):
                await wait_for(caught_up, timeout=300)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu
        rows = await pool.fetch("SELECT full_name FROM bench_names")
        assert len(rows) == PROJECTION_STREAMS
        prefixes = (COLUMN_PREFIX, EVENT_COLUMN_PREFIX)
        sealed = sum(1 for r in rows if str(r["full_name"]).startswith(prefixes))
        assert sealed == (PROJECTION_STREAMS if privacy_on else 0)
    finally:
        await pool.close()
    return events / elapsed, cpu / events * 1e6


async def main_async(events: int, seconds: float, rounds: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    with servers() as srv:
        append = await bench_append(srv, seconds, rounds)
        projection: dict[str, list[float]] = {side: [] for side in PROJECTION_SIDES}
        cpu: dict[str, list[float]] = {side: [] for side in PROJECTION_SIDES}
        for round_ in range(rounds):
            order = PROJECTION_SIDES if round_ % 2 == 0 else PROJECTION_SIDES[::-1]
            for side in order:
                rate, cpu_us = await bench_projection(srv, events, side)
                projection[side].append(rate)
                cpu[side].append(cpu_us)
    best = {side: max(rates) for side, rates in projection.items()}
    # The least CPU per event each side needed: what the background disturbs least.
    least = {side: min(values) for side, values in cpu.items()}
    return {
        "append_per_s": append,
        "append_cost": 1 - append["on"] / append["off"],
        "projection_events_per_s": best,
        "projection_rounds": projection,
        "projection_cost": 1 - best["keep"] / best["off"],
        "projection_cost_protect": 1 - best["protect"] / best["off"],
        "projection_cpu_us_per_event": cpu,
        "projection_cpu_cost": 1 - least["off"] / least["keep"],
        "projection_cpu_cost_protect": 1 - least["off"] / least["protect"],
        "events": events,
        "clients": CLIENTS,
        "measured_at": datetime.now(UTC).isoformat(),
        # The machine is shared: its load average before and after the run.
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="per append slice")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.events, args.seconds, args.rounds))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    a, p = result["append_per_s"], result["projection_events_per_s"]
    print(
        f"append (4 clients, 3 sealed fields): off {a['off']:.0f}/s, on {a['on']:.0f}/s,"
        f" cost {result['append_cost']:.1%}"
    )
    print(
        f"projection catch-up ({args.events} events, best of {args.rounds}): off {p['off']:.0f}/s,"
        f" keep {p['keep']:.0f}/s (cost {result['projection_cost']:.1%}),"
        f" protect {p['protect']:.0f}/s (cost {result['projection_cost_protect']:.1%})"
    )
    print(f"load average before {result['loadavg_before']}, after {result['loadavg_after']}")
    for side, rates in result["projection_rounds"].items():
        cpu = result["projection_cpu_us_per_event"][side]
        print(
            f"  {side}: events/s "
            + ", ".join(f"{rate:.0f}" for rate in rates)
            + "; runner CPU µs/event "
            + ", ".join(f"{c:.1f}" for c in cpu)
        )
    print(
        f"  cost on the runner's least CPU per event: keep {result['projection_cpu_cost']:.1%},"
        f" protect {result['projection_cpu_cost_protect']:.1%}"
    )


if __name__ == "__main__":
    main()
