"""What must hold after any fault, checked against the stores, the streams and the history.

Each check raises AssertionError naming what broke, and returns a line of counts that the
scenario prints (what was checked, over how much).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.api import DeliverPolicy

from ishc_contracts import subjects
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.finance.postings import posting
from ishc_ops import status as statuses
from ishc_ops.verify import Verifier
from ishc_runtime.relay.relay import SEQ_HEADER
from ishc_runtime.service import ServiceDefinition

from .workload import History

EVENT_SERVICES = ("membership", "finance", "care", "advocacy")


def event_services(pools: dict[str, asyncpg.Pool]) -> list[str]:
    """The services running here that append events of their own (not reporting)."""
    return [service for service in EVENT_SERVICES if service in pools]


async def stored_once(history: History, pools: dict[str, asyncpg.Pool]) -> str:
    """Every acknowledged command's events are stored, once; no command ran twice (its
    command id's events are exactly those of its first result); a refused one stored nothing."""
    recorded: dict[str, dict[str, Any]] = {}
    events_of: dict[str, Counter[str]] = {}
    for service in event_services(pools):
        pool = pools[service]
        for row in await pool.fetch("SELECT command_id::text AS id, result FROM commands"):
            recorded[row["id"]] = row["result"]
        for row in await pool.fetch(
            "SELECT metadata->>'command_id' AS id, event_id::text AS event_id FROM events"
            " WHERE metadata ? 'command_id'"
        ):
            events_of.setdefault(row["id"], Counter())[row["event_id"]] += 1
    twice = {
        cid: dict(ids)
        for cid, ids in events_of.items()
        if any(n > 1 for n in ids.values())
        or (cid in recorded and set(ids) != set(recorded[cid].get("event_ids", [])))
    }
    assert not twice, f"commands whose events are not exactly their first result's: {twice}"
    acknowledged = history.ok
    missing = []
    events = 0
    for op in acknowledged:
        expected = set(op.result.get("event_ids", []) if op.result else [])
        stored = set(events_of.get(str(op.command_id), {}))
        if expected != stored:
            missing.append((op.service, op.type, str(op.command_id), expected - stored))
        events += len(expected)
    assert not missing, f"acknowledged commands whose events are not stored once: {missing}"
    refused = [op for op in history.ops if op.outcome == "fail"]
    appended = [(op.type, op.problem) for op in refused if str(op.command_id) in events_of]
    assert not appended, f"refused commands that appended: {appended}"
    unknown = [op for op in history.ops if op.outcome == "info"]
    landed = sum(str(op.command_id) in recorded for op in unknown)
    return (
        f"stored once: {len(acknowledged)} acknowledged commands with {events} events, each"
        f" stored exactly once; {len(recorded)} command ids in the stores (reactions and"
        f" timers included), none ran twice; {len(refused)} refused appended nothing;"
        f" {landed}/{len(unknown)} unknown outcomes landed (once)"
    )


async def seq_contiguous(pools: dict[str, asyncpg.Pool], settled: dict[str, int]) -> str:
    """Store `seq` is 1..n without gaps in every service, and every event committed by the
    time the system settled is sequenced. (Timers and reactions keep appending; an event
    they commit after that may still wait for its number: the next settle requires it.)"""
    counts = {}
    for service in event_services(pools):
        row = await pools[service].fetchrow(
            "SELECT count(seq) AS sequenced, coalesce(min(seq), 1) AS first,"
            " coalesce(max(seq), 0) AS last FROM events"
        )
        assert row is not None
        assert (row["first"], row["last"]) == (1, row["sequenced"]), (
            f"{service}: seq is not 1..n: {dict(row)}"
        )
        assert row["last"] >= settled.get(service, 0), f"{service}: seq went backwards"
        counts[service] = row["sequenced"]
    return "seq 1..n without gaps: " + ", ".join(f"{s} {n}" for s, n in counts.items())


async def read_stream(nc: NatsClient, service: str) -> list[tuple[int, int, str]]:
    """(stream seq, store seq, event id) of every message, in stream order, through an
    ordered consumer (one pass, no acks)."""
    js = nc.jetstream(timeout=10)
    stream = subjects.stream_name(service)
    info = await js.stream_info(stream)
    last = int(info.state.last_seq)
    found: list[tuple[int, int, str]] = []
    if info.state.messages == 0:
        return found
    done = asyncio.Event()

    async def collect(msg: Any) -> None:
        headers = msg.headers or {}
        sequence = msg.metadata.sequence.stream
        found.append((sequence, int(headers[SEQ_HEADER]), headers["Nats-Msg-Id"]))
        if sequence >= last:
            done.set()

    subscription = await js.subscribe(
        subjects.all_events(service),
        stream=stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        cb=collect,
    )
    try:
        await asyncio.wait_for(done.wait(), timeout=60)
    finally:
        await subscription.unsubscribe()
    return found


async def published_once(
    nc: NatsClient, pools: dict[str, asyncpg.Pool], settled: dict[str, int]
) -> str:
    """Every event stored by the time the system settled is on its stream exactly once, in
    store order (what timers and reactions appended since is the next scenario's)."""
    counts = {}
    for service in event_services(pools):
        upto = settled[service]
        messages = await read_stream(nc, service)
        rows = await pools[service].fetch(
            "SELECT seq, event_id::text AS event_id FROM events WHERE seq <= $1 ORDER BY seq",
            upto,
        )
        store = [(int(r["seq"]), r["event_id"]) for r in rows]
        on_stream = [(store_seq, event_id) for _, store_seq, event_id in messages]
        ids = Counter(event_id for _, event_id in on_stream)
        twice = [event_id for event_id, n in ids.items() if n > 1]
        assert not twice, f"{service}: published more than once: {twice[:10]}"
        on_stream = [(seq, event_id) for seq, event_id in on_stream if seq <= upto]
        assert on_stream == store, (
            f"{service}: the stream is not the store in order: {len(on_stream)} messages vs"
            f" {len(store)} events; first difference at"
            f" {next((i for i, (a, b) in enumerate(zip(on_stream, store, strict=False)) if a != b), min(len(on_stream), len(store)))}"
        )
        counts[service] = len(on_stream)
    return "published once, in store order: " + ", ".join(f"{s} {n}" for s, n in counts.items())


async def projections_equal_folds(verifiers: dict[str, Verifier]) -> str:
    """Every projection's tables equal a fold of its streams (the operators' `verify`)."""
    differing = []
    projections = tables = rows = 0
    for verifier in verifiers.values():
        for result in await verifier.check():
            projections += 1
            tables += len(result.tables)
            rows += sum(t.live_rows for t in result.tables)
            if not result.same:
                differing.append(result.describe())
    assert not differing, "projections differing from a fold of their streams:\n  " + (
        "\n  ".join(differing)
    )
    return (
        f"projections equal to a fold of their streams: {projections} projections,"
        f" {tables} tables, {rows} rows"
    )


async def funds_balanced(pools: dict[str, asyncpg.Pool]) -> str:
    """No fund below zero; each fund's cash in finance's projection is the sum of the postings
    in finance's store (every posting applied once)."""
    pool = pools["finance"]
    folded: dict[str, int] = defaultdict(int)
    postings = 0
    for row in await pool.fetch("SELECT type, schema_version, data FROM events ORDER BY seq"):
        if not REGISTRY.knows(row["type"]):
            continue
        event = REGISTRY.decode(row["type"], row["schema_version"], row["data"])
        amount = posting(event)
        if amount:
            postings += 1
            folded[str(event.fund_id)] += amount  # type: ignore[attr-defined]
    live = {
        str(r["fund_id"]): int(r["cash"])
        for r in await pool.fetch("SELECT fund_id, cash FROM finance_funds")
    }
    negative = {fund: cash for fund, cash in folded.items() if cash < 0}
    assert not negative, f"funds below zero: {negative}"
    assert live == dict(folded), (
        "fund balances differ from the sum of their postings: "
        + json.dumps(
            {
                fund: {"projection": live.get(fund), "postings": folded.get(fund)}
                for fund in set(live) | set(folded)
                if live.get(fund) != folded.get(fund)
            }
        )
    )
    return (
        f"funds: {len(live)} funds, none below zero, {postings} postings summing to"
        f" {sum(folded.values()):,} VND equal to the projection's balances"
    )


async def nothing_parked(pools: dict[str, asyncpg.Pool], expected: int = 0) -> str:
    parked = []
    for service, pool in pools.items():
        for row in await pool.fetch(
            "SELECT projection, source, stream_seq, reason, disposition FROM parked_messages"
            " WHERE resolved_at IS NULL AND projection NOT LIKE '%\\_\\_rebuild'"
        ):
            parked.append((service, dict(row)))
    assert len(parked) == expected, f"parked: {parked} (expected {expected})"
    return f"parked: {len(parked)} (expected {expected})"


async def nothing_skipped(
    nc: NatsClient, pools: dict[str, asyncpg.Pool], definitions: dict[str, ServiceDefinition]
) -> str:
    """What the services' periodic check publishes (`ishc_projection_unaccounted_events`):
    no projection or reaction moved its checkpoint past a message it never took."""
    sources = skipped = 0
    found = []
    for service, pool in pools.items():
        for row in await statuses.projection_status(pool, nc, definitions[service]):
            sources += 1
            if row["unaccounted"]:
                skipped += row["unaccounted"]
                found.append(f"{row['projection']}:{row['source']} {row['unaccounted']}")
    assert not found, f"events skipped: {found}"
    return f"nothing skipped: {sources} projection sources, {skipped} unaccounted events"
