"""The real care projection catching up on a care history, beside its raw reference:
`uv run python -m bench.care_projection [--cases 2000] [--weeks 12] [--rounds 2]`.

Starts its own Postgres and NATS (bench.infra, or ISHC_BENCH_DATABASE_URL / _NATS_URL).

- history: a generator (not the simulator: its full national run takes most of an hour, and
  care is 68% of it) builds `cases` home-care cases, each referred, assessed, planned and
  assigned, then visited 2-3 times a week for up to `weeks` weeks: visits done (90%) or
  missed, each week closed as met or missed by the scheduler, escalations after two missed
  weeks in a row, some missed weeks turned into hits by a late visit (`VisitCompleted` then
  `WeeklyVisitTargetMetLate`), a third of the cases closed. Events of all cases are merged
  by day, as clubs record them, so consecutive events belong to different cases; the mix
  (≈ 90% visits and week closings) is that of the seed-scale history. Published once, in
  the relay's format (EventEnvelope JSON; `Nats-Msg-Id`, `Ishc-Seq`, `Ishc-Type`), before
  any clock runs.
- `--projection reporting_care`: the same for reporting's care projection (its own raw
  reference: visits counted per club and month, the last verdict per week, in Python).
- ours: the real `care_cases` projection (care.projections.cases, whatever is first on the
  path: measure another commit by putting its exported sources first on `PYTHONPATH`) in a
  `ProjectionRunner` with the runtime's defaults (durable pull consumer, fetch 256, one
  transaction per batch with the checkpoint, ack after commit), tables from care's own
  migrations; clock from `run` starting until its checkpoint reaches the stream's last
  sequence.
- raw: nats-py `pull_subscribe` (ack policy all, 256 in flight) + `fetch(256)`,
  `json.loads`, and the same rows written with one `unnest` statement per table and batch
  (cases inserted, visits, weeks, late weeks, one folded update per touched case), ack of
  the batch's last message; no domain code, no envelope model, no checkpoint. Same tables.
- beside (`--beside PATH`): another `cases.py` (e.g. main's, exported with `git archive`)
  measured exactly like ours, in the same run: before and after under the same background.
- rounds rotate the order of the sides, so each sees the same background on average.
- checks, every round: row counts of `care_cases`, `care_visits`, `care_weeks` equal what
  the generator produced, and an md5 of every row of each table (ordered) is the same for
  ours and raw: nothing lost, doubled or written differently.

Results to bench/results/care-projection.json (`--out`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench.cpu import CpuMeter
from bench.infra import Servers, servers, token
from bench.measure import other_cpu_share, settle, use_meter, wait_for, watch
from care.domain import weeks as care_weeks
from care.projections import cases as cases_module
from care.projections.cases import cases_projection
from ishc_contracts import SYSTEM_ACTOR, Event, EventEnvelope, EventMetadata, new_id, subjects
from ishc_contracts.care import events as ev
from ishc_contracts.catalogue import REGISTRY
from ishc_runtime.projections import Projection, ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import MAX_ATOMIC_BATCH, SEQ_HEADER, TYPE_HEADER
from ishc_runtime.store.migrations import MigrationSource, migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.background import running
from reporting.projections.care import care_projection

BATCH = 256
RESULTS = Path(__file__).parent / "results" / "care-projection.json"
CARE_MIGRATIONS = MigrationSource.package("care", "care.projections", "sql")
TABLES = {
    "care_cases": "case_id",
    "care_visits": "visit_id",
    "care_weeks": "case_id, iso_week",
}
START = date(2025, 1, 6)  # a Monday


# -- the history ------------------------------------------------------------------------------


@dataclass
class History:
    events: list[tuple[str, Event]] = field(default_factory=list)  # (stream id, event) in order
    expected: dict[str, int] = field(default_factory=dict)  # table -> rows, care_cases
    expected_reporting: dict[str, int] = field(default_factory=dict)  # reporting_care


def generate(cases: int, weeks: int, seed: int = 22) -> History:
    rng = random.Random(seed)
    clubs = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(max(1, cases // 12))]
    keyed: list[tuple[date, int, int, str, Event]] = []
    visits = week_rows = 0
    visit_months: set[tuple[uuid.UUID, date]] = set()  # reporting counts visits by these
    for c in range(cases):
        case_id, person, plan = (uuid.UUID(int=rng.getrandbits(128)) for _ in range(3))
        club = clubs[c % len(clubs)]
        volunteers = (uuid.UUID(int=rng.getrandbits(128)), uuid.UUID(int=rng.getrandbits(128)))
        per_week = rng.choice((2, 2, 3))
        first_monday = START + timedelta(weeks=rng.randrange(max(1, weeks // 3)))
        referred = first_monday - timedelta(days=rng.randrange(3, 10))
        case_events: list[tuple[date, Event]] = [
            (referred, ev.CareReferralReceived(
                case_id=case_id, club_id=club, person_id=person, full_name=f"Bà Nguyễn Thị {c}",
                referred_on=referred, referred_by="board")),
            (referred, ev.NeedsAssessed(
                case_id=case_id, club_id=club, assessed_on=referred, assessed_by="board")),
            (referred + timedelta(days=1), ev.CarePlanOpened(
                case_id=case_id, plan_id=plan, club_id=club, visits_per_week=per_week,
                starts_on=first_monday)),
            (referred + timedelta(days=1), ev.VolunteersAssigned(
                case_id=case_id, plan_id=plan, club_id=club, volunteer_ids=volunteers,
                assigned_on=referred + timedelta(days=1))),
        ]  # fmt: skip
        span = weeks - (first_monday - START).days // 7
        misses = 0
        for w in range(span):
            monday = first_monday + timedelta(weeks=w)
            label = care_weeks.label_of(monday)
            done = 0
            for i in range(per_week):
                day = monday + timedelta(days=2 * i)
                visit_id = uuid.UUID(int=rng.getrandbits(128))
                visits += 1
                if rng.random() < 0.9:
                    done += 1
                    visit_months.add((club, day.replace(day=1)))
                    case_events.append(
                        (
                            day,
                            ev.VisitCompleted(
                                visit_id=visit_id,
                                case_id=case_id,
                                club_id=club,
                                volunteer_ids=volunteers[:1],
                                visited_on=day,
                            ),
                        )
                    )
                else:
                    case_events.append(
                        (
                            day,
                            ev.VisitMissed(
                                visit_id=visit_id,
                                case_id=case_id,
                                club_id=club,
                                due_on=day,
                                volunteer_ids=volunteers[:1],
                                reason="volunteer_unavailable",
                            ),
                        )
                    )
            closing = monday + timedelta(days=7)
            week_rows += 1
            if done >= per_week:
                misses = 0
                case_events.append(
                    (
                        closing,
                        ev.WeeklyVisitTargetMet(
                            case_id=case_id,
                            plan_id=plan,
                            club_id=club,
                            iso_week=label,
                            week_starts_on=monday,
                            visits_required=per_week,
                            visits_done=done,
                        ),
                    )
                )
                continue
            misses += 1
            case_events.append(
                (
                    closing,
                    ev.WeeklyVisitTargetMissed(
                        case_id=case_id,
                        plan_id=plan,
                        club_id=club,
                        iso_week=label,
                        week_starts_on=monday,
                        visits_required=per_week,
                        visits_done=done,
                        consecutive_misses=misses,
                    ),
                )
            )
            if misses >= 2:
                case_events.append(
                    (
                        closing,
                        ev.CaseEscalated(
                            case_id=case_id, club_id=club, iso_week=label, consecutive_misses=misses
                        ),
                    )
                )
            if done == per_week - 1 and rng.random() < 0.3:
                # typed in late: a visit of that week, recorded after it closed
                late = uuid.UUID(int=rng.getrandbits(128))
                visits += 1
                recorded = closing + timedelta(days=2)
                visit_months.add((club, (monday + timedelta(days=5)).replace(day=1)))
                case_events += [
                    (recorded, ev.VisitCompleted(
                        visit_id=late, case_id=case_id, club_id=club,
                        volunteer_ids=volunteers[1:], visited_on=monday + timedelta(days=5))),
                    (recorded, ev.WeeklyVisitTargetMetLate(
                        case_id=case_id, club_id=club, iso_week=label,
                        visits_required=per_week, visits_done=done + 1, visit_id=late)),
                ]  # fmt: skip
        if rng.random() < 0.33:
            closed_on = START + timedelta(weeks=weeks, days=3)
            case_events.append((closed_on, ev.CareCaseClosed(
                case_id=case_id, club_id=club, person_id=person, closed_on=closed_on,
                reason="recovered")))  # fmt: skip
        # the days as recorded; within a day, the case's own order
        keyed += [(d, c, n, f"case-{case_id}", e) for n, (d, e) in enumerate(case_events)]
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    history = History([(stream, e) for _, _, _, stream, e in keyed])
    history.expected = {"care_cases": cases, "care_visits": visits, "care_weeks": week_rows}
    history.expected_reporting = {
        "rpt_care_cases": cases,
        "rpt_care_weeks": week_rows,
        "rpt_visits": len(visit_months),
        "rpt_health_checks": 0,
    }
    return history


def envelopes(history: History) -> Iterator[EventEnvelope]:
    meta = EventMetadata(
        correlation_id=new_id(),
        causation_id=new_id(),
        actor=SYSTEM_ACTOR,
        occurred_at=datetime.now(UTC),
        command_id=new_id(),
    )
    versions: dict[str, int] = {}
    for n, (stream, event) in enumerate(history.events, start=1):
        versions[stream] = version = versions.get(stream, 0) + 1
        yield EventEnvelope(
            event_id=new_id(),
            type=event.wire_name(),
            schema_version=event.schema_version,
            stream_id=stream,
            stream_type="case",
            version=version,
            seq=n,
            recorded_at=datetime.now(UTC),
            metadata=meta,
            data=event.model_dump(mode="json"),
        )


@dataclass(frozen=True)
class Source:
    service: str
    stream: str
    last_seq: int
    events: int


async def publish(srv: Servers, history: History) -> Source:
    """A fresh stream (the relay's configuration) holding the history, in atomic batches."""
    service = f"benchcare{token()}"
    pool = await create_pool(srv.admin_dsn, min_size=1, max_size=1)
    try:
        async with srv.nats("bench-care-fill") as nc:
            relay = Relay(pool, nc, RelayConfig(service=service))
            await relay.ensure_stream()
            batch: list[EventEnvelope] = []
            for envelope in envelopes(history):
                batch.append(envelope)
                if len(batch) == MAX_ATOMIC_BATCH:
                    await _publish_batch(nc, service, batch)
                    batch = []
            if batch:
                await _publish_batch(nc, service, batch)
            info = await nc.jetstream().stream_info(relay.config.stream)
    finally:
        await pool.close()
    assert info.state.messages == len(history.events)
    return Source(service, relay.config.stream, info.state.last_seq, len(history.events))


async def _publish_batch(nc: NatsClient, service: str, batch: list[EventEnvelope]) -> None:
    batch_id = str(new_id())
    for number, envelope in enumerate(batch, start=1):
        subject = subjects.event_subject(service, "case", envelope.name)
        headers = {
            "Nats-Msg-Id": str(envelope.event_id),
            SEQ_HEADER: str(envelope.seq),
            TYPE_HEADER: envelope.type,
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(number),
        }
        body = envelope.model_dump_json().encode()
        if number < len(batch):
            await nc.publish(subject, body, headers=headers)
            continue
        headers["Nats-Batch-Commit"] = "1"
        reply = await nc.request(subject, body, timeout=10, headers=headers)
        if b'"error"' in reply.data:
            msg = f"filling the care stream failed: {reply.data!r}"
            raise AssertionError(msg)


# -- ours and raw -------------------------------------------------------------------------------


async def checksums(dsn: str, tables: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Per table: rows, and an md5 of every row in key order (what both sides must agree on)."""
    conn = await asyncpg.connect(dsn)
    try:
        sums = {}
        for table, key in tables.items():
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY {key}), ''))"
                f" AS sum FROM {table} t"
            )
            assert row is not None
            sums[table] = (int(row["n"]), str(row["sum"]))
        return sums
    finally:
        await conn.close()


@dataclass(frozen=True)
class Target:
    """A projection of care events to measure: where its tables come from, how to compare
    them, and its raw reference."""

    name: str
    migrations: MigrationSource
    tables: dict[str, str]  # table -> ordering key of the checksum
    factory: Callable[[], Projection]
    factory_name: str  # the same factory in another commit's module (--beside)
    raw_batch: Callable[[asyncpg.Connection, list[dict[str, Any]]], Awaitable[None]]

    def expected(self, history: History) -> dict[str, int]:
        return history.expected if self.name == "care_cases" else history.expected_reporting


def load_projection(target: Target, path: Path | None) -> Callable[[], Projection]:
    """The target's projection of this tree, or of the module at `path` (another commit's,
    exported with `git archive`): measured in the same run, beside the same raw reference."""
    if path is None:
        return target.factory
    spec = importlib.util.spec_from_file_location("care_projection_measured_beside", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    factory: Callable[[], Projection] = getattr(module, target.factory_name)
    return factory


async def run_ours(
    srv: Servers,
    source: Source,
    timeout: float,
    factory: Callable[[], Projection],
    side: str,
    target: Target,
) -> tuple[float, str]:
    dsn = await srv.database("care_ours")
    await migrate(dsn, target.migrations)
    pool = await create_pool(dsn, min_size=2, max_size=4)
    projection = dataclasses.replace(factory(), sources=[source.service])
    try:
        await srv.checkpoint()
        async with srv.nats("bench-care-ours") as nc:
            runner = ProjectionRunner(pool, nc, projection, REGISTRY, poll_interval=0.2)

            async def caught_up() -> bool:
                return await runner.checkpoint(source.service) >= source.last_seq

            await settle()
            with watch(f"care {side}"):
                started = time.perf_counter()
                async with running(runner.run):
                    await wait_for(caught_up, timeout=timeout, interval=0.05)
                    elapsed = time.perf_counter() - started
            await nc.jetstream().delete_consumer(source.stream, runner.durable(source.service))
        parked = await pool.fetchval("SELECT count(*) FROM parked_messages")
    finally:
        await pool.close()
    if parked:
        msg = f"the care projection parked {parked} events"
        raise AssertionError(msg)
    return elapsed, dsn


_RAW_CASES = (
    "INSERT INTO care_cases (case_id, club_id, person_id, member_id, full_name, status,"
    " referred_on, version) SELECT c, k, p, m, n, 'referred', d, v FROM unnest($1::uuid[],"
    " $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::date[], $7::int[]) AS u(c, k, p, m, n,"
    " d, v) ON CONFLICT (case_id) DO NOTHING"
)
_RAW_VISITS = (
    "INSERT INTO care_visits (visit_id, case_id, club_id, volunteer_ids, visited_on, iso_week,"
    " status) SELECT i, c, k, (SELECT array_agg(x::uuid) FROM"
    " json_array_elements_text(vs::json) x), d, w, s FROM unnest($1::uuid[], $2::uuid[],"
    " $3::uuid[], $4::text[], $5::date[], $6::text[], $7::text[]) AS u(i, c, k, vs, d, w, s)"
    " ON CONFLICT (visit_id) DO NOTHING"
)
_RAW_WEEKS = (
    "INSERT INTO care_weeks (case_id, iso_week, club_id, week_starts_on, required, done, met)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::date[], $5::int[],"
    " $6::int[], $7::bool[]) ON CONFLICT (case_id, iso_week) DO NOTHING"
)
_RAW_LATE = (
    "UPDATE care_weeks w SET met = true, met_late = true, done = u.done FROM unnest($1::uuid[],"
    " $2::text[], $3::int[]) AS u(c, iw, done) WHERE w.case_id = u.c AND w.iso_week = u.iw"
)
_RAW_TOUCH = (
    "UPDATE care_cases c SET version = u.v, status = coalesce(u.s, c.status),"
    " plan_id = coalesce(u.plan, c.plan_id), visits_per_week = coalesce(u.vpw, c.visits_per_week),"
    " starts_on = coalesce(u.starts, c.starts_on),"
    " volunteer_ids = coalesce((SELECT array_agg(x::uuid) FROM json_array_elements_text(u.vs::json)"
    " x), c.volunteer_ids), escalations = c.escalations + u.esc,"
    " closed_on = coalesce(u.closed, c.closed_on), closed_reason = coalesce(u.why, c.closed_reason)"
    " FROM unnest($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::int[], $6::date[],"
    " $7::text[], $8::int[], $9::date[], $10::text[])"
    " AS u(id, v, s, plan, vpw, starts, vs, esc, closed, why) WHERE c.case_id = u.id"
)
_TOUCH_KEYS = ("v", "s", "plan", "vpw", "starts", "vs", "esc", "closed", "why")


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


async def _raw_batch(  # noqa: PLR0912 - one branch per event type, as a reference should be
    conn: asyncpg.Connection, bodies: list[dict[str, Any]]
) -> None:
    """The batch's rows, one statement per table; case changes folded per case (the history
    is in order, so the last value wins and escalations add up)."""
    cases: list[tuple[Any, ...]] = []
    visits: list[tuple[Any, ...]] = []
    weeks: list[tuple[Any, ...]] = []
    late: list[tuple[Any, ...]] = []
    touched: dict[str, dict[str, Any]] = {}
    for body in bodies:
        name, d, version = body["type"].split(".", 1)[1], body["data"], body["version"]
        case = d["case_id"]
        if name == "CareReferralReceived":
            referred = date.fromisoformat(d["referred_on"])
            cases.append((case, d["club_id"], d["person_id"], d.get("member_id"),
                          d["full_name"], referred, version))  # fmt: skip
            continue
        t = touched.setdefault(case, {"esc": 0})
        t["v"] = version
        if name in ("VisitCompleted", "VisitMissed"):
            day = date.fromisoformat(d["visited_on"] if name == "VisitCompleted" else d["due_on"])
            status = "done" if name == "VisitCompleted" else "missed"
            visits.append((d["visit_id"], case, d["club_id"], json.dumps(d["volunteer_ids"]),
                           day, care_weeks.label_of(day), status))  # fmt: skip
        elif name in ("WeeklyVisitTargetMet", "WeeklyVisitTargetMissed"):
            weeks.append((case, d["iso_week"], d["club_id"],
                          date.fromisoformat(d["week_starts_on"]), d["visits_required"],
                          d["visits_done"], name == "WeeklyVisitTargetMet"))  # fmt: skip
        elif name == "WeeklyVisitTargetMetLate":
            late.append((case, d["iso_week"], d["visits_done"]))
        elif name == "NeedsAssessed":
            t["s"] = "assessed"
        elif name == "CarePlanOpened":
            t.update(plan=d["plan_id"], vpw=d["visits_per_week"],
                     starts=date.fromisoformat(d["starts_on"]))  # fmt: skip
        elif name == "VolunteersAssigned":
            t.update(s="active", vs=json.dumps(d["volunteer_ids"]))
        elif name == "CaseEscalated":
            t["esc"] += 1
        elif name == "CareCaseClosed":
            t.update(s="closed", closed=date.fromisoformat(d["closed_on"]), why=d["reason"])
    async with conn.transaction():
        if cases:
            await conn.execute(_RAW_CASES, *_columns(cases, 7))
        if visits:
            await conn.execute(_RAW_VISITS, *_columns(visits, 7))
        if weeks:
            await conn.execute(_RAW_WEEKS, *_columns(weeks, 7))
        if late:
            await conn.execute(_RAW_LATE, *_columns(late, 3))
        if touched:
            rows = [(case, *(t.get(k) for k in _TOUCH_KEYS)) for case, t in touched.items()]
            await conn.execute(_RAW_TOUCH, *_columns(rows, 10))


_RAW_RPT_CASES = (
    "INSERT INTO rpt_care_cases (case_id, club_id, person_id, member_id, referred_on)"
    " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::date[])"
    " ON CONFLICT (case_id) DO NOTHING"
)
_RAW_RPT_PLANS = (
    "UPDATE rpt_care_cases c SET plan_starts_on = coalesce(c.plan_starts_on, u.s),"
    " visits_per_week = u.v FROM unnest($1::uuid[], $2::date[], $3::int[]) AS u(id, s, v)"
    " WHERE c.case_id = u.id"
)
_RAW_RPT_CLOSED = (
    "UPDATE rpt_care_cases c SET closed_on = u.d FROM unnest($1::uuid[], $2::date[])"
    " AS u(id, d) WHERE c.case_id = u.id"
)
_RAW_RPT_VISITS = (
    "INSERT INTO rpt_visits (club_id, month, visits) SELECT * FROM unnest($1::uuid[],"
    " $2::date[], $3::int[]) ON CONFLICT (club_id, month)"
    " DO UPDATE SET visits = rpt_visits.visits + excluded.visits"
)
_RAW_RPT_WEEKS = (
    "INSERT INTO rpt_care_weeks (case_id, club_id, week_starts_on, met, visits_done)"
    " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::bool[], $5::int[])"
    " ON CONFLICT (case_id, week_starts_on)"
    " DO UPDATE SET met = excluded.met, visits_done = excluded.visits_done"
)
_RAW_RPT_LATE = (
    "UPDATE rpt_care_weeks w SET met = true, visits_done = u.d FROM unnest($1::uuid[],"
    " $2::date[], $3::int[]) AS u(c, m, d) WHERE w.case_id = u.c AND w.week_starts_on = u.m"
)


async def _raw_reporting_batch(  # noqa: PLR0912 - one branch per event type
    conn: asyncpg.Connection, bodies: list[dict[str, Any]]
) -> None:
    """reporting_care's rows for the batch, one statement per table and kind, folded in
    Python: visits counted per club and month, the last verdict per week."""
    cases: list[tuple[Any, ...]] = []
    plans: dict[str, tuple[Any, ...]] = {}
    closed: dict[str, tuple[Any, ...]] = {}
    visits: dict[tuple[str, date], int] = {}
    weeks: dict[tuple[str, date], list[Any]] = {}
    late: list[tuple[Any, ...]] = []
    for body in bodies:
        name, d = body["type"].split(".", 1)[1], body["data"]
        if name == "CareReferralReceived":
            cases.append((d["case_id"], d["club_id"], d["person_id"], d.get("member_id"),
                          date.fromisoformat(d["referred_on"])))  # fmt: skip
        elif name == "CarePlanOpened":
            first = plans.get(d["case_id"], (None, date.fromisoformat(d["starts_on"])))
            plans[d["case_id"]] = (d["case_id"], first[1], d["visits_per_week"])
        elif name == "CareCaseClosed":
            closed[d["case_id"]] = (d["case_id"], date.fromisoformat(d["closed_on"]))
        elif name == "VisitCompleted":
            key = (d["club_id"], date.fromisoformat(d["visited_on"]).replace(day=1))
            visits[key] = visits.get(key, 0) + 1
        elif name in ("WeeklyVisitTargetMet", "WeeklyVisitTargetMissed"):
            monday = date.fromisoformat(d["week_starts_on"])
            row = weeks.setdefault((d["case_id"], monday), [d["case_id"], d["club_id"], monday])
            row[3:] = [name == "WeeklyVisitTargetMet", d["visits_done"]]
        elif name == "WeeklyVisitTargetMetLate":
            year, week = d["iso_week"].split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            late.append((d["case_id"], monday, d["visits_done"]))
    async with conn.transaction():
        if cases:
            await conn.execute(_RAW_RPT_CASES, *_columns(cases, 5))
        if plans:
            await conn.execute(_RAW_RPT_PLANS, *_columns(list(plans.values()), 3))
        if closed:
            await conn.execute(_RAW_RPT_CLOSED, *_columns(list(closed.values()), 2))
        if visits:
            rows = [(club, month, n) for (club, month), n in visits.items()]
            await conn.execute(_RAW_RPT_VISITS, *_columns(rows, 3))
        if weeks:
            await conn.execute(_RAW_RPT_WEEKS, *_columns([tuple(w) for w in weeks.values()], 5))
        if late:
            await conn.execute(_RAW_RPT_LATE, *_columns(late, 3))


TARGETS = {
    "care_cases": Target(
        "care_cases", CARE_MIGRATIONS, TABLES, cases_projection, "cases_projection", _raw_batch
    ),
    "reporting_care": Target(
        "reporting_care",
        MigrationSource.package("reporting", "reporting.projections"),
        {
            "rpt_care_cases": "case_id",
            "rpt_care_weeks": "case_id, week_starts_on",
            "rpt_visits": "club_id, month",
            "rpt_health_checks": "check_id",
        },
        care_projection,
        "care_projection",
        _raw_reporting_batch,
    ),
}


async def run_raw(
    srv: Servers, source: Source, timeout: float, target: Target
) -> tuple[float, str]:
    """The reference (module docstring)."""
    dsn = await srv.database("care_raw")
    await migrate(dsn, target.migrations)
    conn = await asyncpg.connect(dsn)
    durable = f"raw_{token()}"
    try:
        await srv.checkpoint()
        async with srv.nats("bench-care-raw") as nc:
            js = nc.jetstream()
            subscription = await js.pull_subscribe(
                subjects.all_events(source.service),
                durable=durable,
                stream=source.stream,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.ALL,
                    deliver_policy=DeliverPolicy.ALL,
                    max_ack_pending=BATCH,
                ),
            )
            await settle()
            deadline = time.monotonic() + timeout
            with watch("care raw"):
                started = time.perf_counter()
                done = 0
                while done < source.last_seq:
                    if time.monotonic() > deadline:
                        msg = f"raw consumer stuck at {done} of {source.last_seq}"
                        raise TimeoutError(msg)
                    try:
                        msgs = await subscription.fetch(BATCH, timeout=1.0)
                    except NatsTimeoutError:
                        continue
                    await target.raw_batch(conn, [json.loads(m.data) for m in msgs])
                    await msgs[-1].ack()
                    done = msgs[-1].metadata.sequence.stream
                elapsed = time.perf_counter() - started
            await subscription.unsubscribe()
            await js.delete_consumer(source.stream, durable)
    finally:
        await conn.close()
    return elapsed, dsn


# -- the run ----------------------------------------------------------------------------------


def _code() -> dict[str, str]:
    """Which care projection was measured (the path it was imported from) and the commit."""
    root = Path(__file__).parent.parent
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], check=False, cwd=root, capture_output=True, text=True
    )
    return {
        "care_projection": str(cases_module.__file__),
        "ref": os.environ.get("ISHC_BENCH_CODE_REF", done.stdout.strip()),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    history = generate(args.cases, args.weeks)
    kinds: dict[str, int] = {}
    for _, event in history.events:
        kinds[type(event).__name__] = kinds.get(type(event).__name__, 0) + 1
    print(f"history: {len(history.events):,} events, rows {history.expected}", file=sys.stderr)
    with servers() as srv:
        use_meter(
            CpuMeter({os.getpid(), *srv.server_pids}) if srv.server_pids else None,
            settle_budget=args.settle,
        )
        source = await publish(srv, history)
        print(f"published in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        target = TARGETS[args.projection]
        expected = target.expected(history)
        factories = {"ours": load_projection(target, None)}
        if args.beside is not None:
            factories["beside"] = load_projection(target, args.beside)
        sides = [*factories, "raw"]
        rates: dict[str, list[float]] = {side: [] for side in sides}
        sums: dict[str, dict[str, tuple[int, str]]] = {}
        for round_ in range(args.rounds):
            # rotate the order, so each side meets the same background on average
            shift = round_ % len(sides)
            for side in sides[shift:] + sides[:shift]:
                if side == "raw":
                    elapsed, dsn = await run_raw(srv, source, args.timeout, target)
                else:
                    elapsed, dsn = await run_ours(
                        srv, source, args.timeout, factories[side], side, target
                    )
                rates[side].append(source.events / elapsed)
                sums[side] = await checksums(dsn, target.tables)
                print(f"round {round_ + 1} {side}: {source.events / elapsed:,.0f} ev/s",
                      file=sys.stderr)  # fmt: skip
                counts = {table: n for table, (n, _) in sums[side].items()}
                if counts != expected:
                    msg = f"{side} wrote {counts}, expected {expected}"
                    raise AssertionError(msg)
            if any(sums[side] != sums["raw"] for side in sides):
                msg = f"the sides wrote different rows: {sums}"
                raise AssertionError(msg)
    best = {side: max(values) for side, values in rates.items()}
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": _code(),
        "events": source.events,
        "event_types": kinds,
        "projection": target.name,
        "rows": expected,
        "checksums": {t: s for t, (_, s) in sums["ours"].items()},
        "rates": rates,
        "best": best,
        "ratio": best["ours"] / best["raw"],
        "beside": str(args.beside) if args.beside else None,
        "beside_ratio": best["beside"] / best["raw"] if "beside" in best else None,
        "other_cpu": {side: other_cpu_share(f"care {side}") for side in sides},
        "seconds": round(time.perf_counter() - began, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0, help="per catch-up")
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=None, help=f"default {RESULTS}")
    parser.add_argument("--projection", choices=sorted(TARGETS), default="care_cases")
    parser.add_argument(
        "--beside",
        type=Path,
        default=None,
        help="the projection's module of another commit (exported) to measure in the same run",
    )
    args = parser.parse_args()
    if args.out is None:
        suffix = "" if args.projection == "care_cases" else f"-{args.projection}"
        args.out = RESULTS.with_name(f"care-projection{suffix}.json")
    result = asyncio.run(main_async(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    best, other = result["best"], result["other_cpu"]
    events, rounds = result["events"], args.rounds
    print(f"{result['projection']} catch-up, {events:,} events (best of {rounds} rounds):")
    for side, rate in best.items():
        share = other[side] or 0
        print(f"  {side}: {rate:,.0f} ev/s, {rate / best['raw']:.2f} of raw, other CPU {share:.0%}")
    print("rows and checksums equal on every side")


if __name__ == "__main__":
    main()
