"""The operator queries every service answers (ProjectionStatus, ParkedEvents), over NATS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, Actor, CommandEnvelope, QueryEnvelope, new_id, subjects
from ishc_runtime.projections import Projection
from ishc_runtime.projections.status import (
    Operated,
    parked_events,
    projection_status,
    record_lag,
    timer_status,
)
from ishc_runtime.service import Service, ServiceContext, ServiceSettings, ask, send_command
from ishc_runtime.store.migrations import migrate
from ishc_runtime.store.pool import create_pool
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_service import sample_service
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

SECRET = "0912-345-678"  # personal data inside a poison message: must never be answered


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str
) -> AsyncIterator[Service]:
    name = f"sample{stream_suffix}"

    def notify(ctx: ServiceContext) -> Projection:
        return Projection(name=f"{name}_notify", sources=[name], policy="park")

    definition = replace(sample_service(name), reactions=[notify])
    settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(definition, settings) as running:
        yield running


async def query(nc: Client, service: Service, kind: str, **params: Any) -> dict[str, Any]:
    reply = await ask(
        nc, service.definition.name, QueryEnvelope(type=kind, actor=SYSTEM_ACTOR, params=params)
    )
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


def command(kind: str, **payload: object) -> CommandEnvelope:
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=payload)


async def test_projection_status_shows_checkpoint_lag_and_parked_counts(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    balances = f"{name}_balances"
    account = str(new_id())
    for sent in (
        command("OpenAccount", account_id=account, owner="Lan"),
        command("Deposit", account_id=account, amount=5000),
    ):
        reply = await send_command(nats_client, name, sent)
        assert reply.ok, reply.problem
    # A message no projection can read (not an event envelope), holding a phone number.
    await nats_client.jetstream().publish(
        subjects.event_subject(name, "account", "Garbled"), f'{{"phone": "{SECRET}"}}'.encode()
    )

    async def settled() -> bool:
        status = await query(nats_client, service, "ProjectionStatus")
        return all(row["checkpoint"] == 3 for row in status["projections"])

    await wait_until(settled, timeout=20, message="both projections reached seq 3")
    status = await query(nats_client, service, "ProjectionStatus")

    assert status["service"] == name
    rows = {row["projection"]: row for row in status["projections"]}
    assert set(rows) == {balances, f"{name}_notify"}
    row = rows[balances]
    assert {k: row[k] for k in row if k != "updated_at"} == {
        "projection": balances,
        "kind": "projection",
        "source": name,
        "stream": subjects.stream_name(name),
        "policy": "stop",
        "checkpoint": 3,
        "stream_last_seq": 3,
        "lag": 0,
        "parked": 1,
        "blocking": 0,
        "state": "caught up",
        "unaccounted": 0,  # the garbled message was parked: taken, not skipped
    }
    assert row["updated_at"] is not None
    assert rows[f"{name}_notify"]["kind"] == "reaction"

    only = await query(nats_client, service, "ProjectionStatus", projection=balances)
    assert [r["projection"] for r in only["projections"]] == [balances]

    # A handler of the service's own reads the same status (a report says what it is built on).
    reader = service.context.projection_status
    assert reader is not None
    assert [r.model_dump(mode="json") for r in await reader()] == status["projections"]


async def test_parked_events_name_the_event_but_never_its_payload(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    await nats_client.jetstream().publish(
        subjects.event_subject(name, "account", "Garbled"), f'{{"phone": "{SECRET}"}}'.encode()
    )

    async def parked_by_both() -> bool:
        return len((await query(nats_client, service, "ParkedEvents"))["parked"]) == 2

    await wait_until(parked_by_both, timeout=20, message="the message parked by both")
    reply = await ask(
        nats_client, name, QueryEnvelope(type="ParkedEvents", actor=SYSTEM_ACTOR, params={})
    )
    assert SECRET not in reply.model_dump_json()

    answer = await query(nats_client, service, "ParkedEvents", projection=f"{name}_balances")
    [parked] = answer["parked"]
    assert set(parked) == {
        "id",
        "projection",
        "source",
        "stream",
        "stream_seq",
        "event_type",
        "event_id",
        "reason",
        "disposition",
        "attempts",
        "parked_at",
        "resolved_at",
        "resolution",
        "resolved_by",
        "note",
    }
    assert (parked["stream"], parked["stream_seq"], parked["reason"]) == (
        subjects.stream_name(name),
        1,
        "malformed",
    )
    assert (parked["disposition"], parked["event_type"], parked["resolved_at"]) == (
        "parked",
        None,
        None,
    )
    assert answer["truncated"] is False
    first = await query(nats_client, service, "ParkedEvents", limit=1)
    assert len(first["parked"]) == 1
    assert first["truncated"] is True
    # One by its id, however many there are (the operator's confirmation page).
    every = (await query(nats_client, service, "ParkedEvents"))["parked"]
    last = max(every, key=lambda row: row["id"])
    alone = await query(nats_client, service, "ParkedEvents", parked_id=last["id"], limit=1)
    assert alone["parked"] == [last]
    assert alone["truncated"] is False


async def test_an_operator_discards_a_parked_event_saying_why_and_redrive_refuses_typed(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    await nats_client.jetstream().publish(
        subjects.event_subject(name, "account", "Garbled"), f'{{"phone": "{SECRET}"}}'.encode()
    )

    async def parked() -> bool:
        answer = await query(nats_client, service, "ParkedEvents", projection=f"{name}_balances")
        return len(answer["parked"]) == 1

    await wait_until(parked, timeout=20, message="the garbled message parked")
    answer = await query(nats_client, service, "ParkedEvents", projection=f"{name}_balances")
    parked_id = answer["parked"][0]["id"]
    operator = Actor(user_id="op-lan", role="operator")

    async def send(kind: str, actor: Actor = operator, **payload: object) -> Any:
        envelope = CommandEnvelope(command_id=new_id(), type=kind, actor=actor, payload=payload)
        return await send_command(nats_client, name, envelope)

    # Not an event at all: applying it again fails again, and it stays parked.
    failed = await send("RedriveParked", parked_id=parked_id)
    assert failed.problem is not None
    assert (failed.problem.status, failed.problem.type) == (409, "redrive-failed")
    secretary = Actor(user_id="sec-1", role="club_secretary")
    refused = await send("DiscardParked", secretary, parked_id=parked_id, reason="not mine")
    assert refused.problem is not None and refused.problem.status == 403
    unnamed = await send("DiscardParked", parked_id=parked_id, reason="")
    assert unnamed.problem is not None and unnamed.problem.status == 422
    unknown = await send("DiscardParked", parked_id=parked_id + 1000, reason="no such one")
    assert unknown.problem is not None
    assert (unknown.problem.status, unknown.problem.type) == (404, "parked-not-found")

    done = await send("DiscardParked", parked_id=parked_id, reason="garbage from a test tool")
    assert done.ok, done.problem
    assert done.result is not None
    assert {k: done.result[k] for k in ("resolution", "resolved_by", "note", "already")} == {
        "resolution": "discarded",
        "resolved_by": "op-lan",
        "note": "garbage from a test tool",
        "already": False,
    }
    # A repeat (or a redrive after it) changes nothing and says what was done.
    again = await send("RedriveParked", parked_id=parked_id)
    assert again.ok and again.result is not None
    assert (again.result["resolution"], again.result["already"]) == ("discarded", True)
    history = await query(
        nats_client, service, "ParkedEvents", projection=f"{name}_balances", include_resolved=True
    )
    [row] = history["parked"]
    assert (row["resolution"], row["resolved_by"], row["note"]) == (
        "discarded",
        "op-lan",
        "garbage from a test tool",
    )


async def test_lag_history_keeps_a_sample_a_minute_the_largest_any_instance_saw(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    balances = f"{name}_balances"

    async def sampled() -> bool:
        answer = await query(nats_client, service, "LagHistory")
        return any(s["projection"] == balances for s in answer["samples"])

    # The watch round at start records the first sample.
    await wait_until(sampled, timeout=20, message="no lag sample recorded")
    reader = service.context.projection_status
    assert reader is not None
    [row] = [r for r in await reader() if r.projection == balances]
    pool = service.context.pool
    # Two instances' rounds in one minute: the larger lag stands.
    await record_lag(pool, [row.model_copy(update={"lag": 7})])
    await record_lag(pool, [row.model_copy(update={"lag": 3})])

    answer = await query(nats_client, service, "LagHistory", projection=balances, minutes=5)
    samples = answer["samples"]
    assert answer["minutes"] == 5
    assert {s["projection"] for s in samples} == {balances}
    assert max(s["lag"] for s in samples) == 7
    assert len({s["at"] for s in samples}) == len(samples), "one sample a minute"
    refused = await ask(
        nats_client,
        name,
        QueryEnvelope(type="LagHistory", actor=SYSTEM_ACTOR, params={"minutes": 100000}),
    )
    assert refused.problem is not None and refused.problem.status == 422


async def test_bad_operator_query_parameters_get_a_validation_problem(
    service: Service, nats_client: Client
) -> None:
    reply = await ask(
        nats_client,
        service.definition.name,
        QueryEnvelope(type="ParkedEvents", actor=SYSTEM_ACTOR, params={"limit": 0, "x": 1}),
    )
    assert not reply.ok and reply.problem is not None
    assert reply.problem.status == 422
    assert {issue.field for issue in reply.problem.errors} == {"params.limit", "params.x"}


def test_a_service_may_not_define_a_built_in_query_name() -> None:
    definition = sample_service("sample_clash")
    routes = replace(definition.routes, queries=dict(definition.routes.queries))
    routes.queries["ProjectionStatus"] = definition.routes.queries["Balance"]
    settings = ServiceSettings(database_url="postgresql://unused/db")
    with pytest.raises(ValueError, match="built into every service"):
        Service(replace(definition, routes=routes), settings)


async def test_the_state_says_stopped_rebuilding_or_no_stream(
    database_dsn: str, nats_client: Client, stream_suffix: str
) -> None:
    await migrate(database_dsn)
    pool = await create_pool(database_dsn)
    name = f"sample{stream_suffix}"
    projection = Projection(name=f"{name}_balances", sources=[name])
    operated: Operated = [(projection, "projection")]

    async def state() -> tuple[str, int | None]:
        [row] = await projection_status(pool, nats_client, operated)
        return row.state, row.lag

    try:
        assert await state() == ("no stream", None)  # its source stream does not exist
        await pool.execute(
            "INSERT INTO projection_checkpoints (projection, source, stream_seq)"
            " VALUES ($1, $2, 0)",
            projection.name + "__rebuild",
            name,
        )
        assert await state() == ("rebuilding", None)
        await pool.execute(
            "INSERT INTO parked_messages (projection, source, stream_seq, subject, reason,"
            " detail, payload, disposition) VALUES ($1, $2, 1, 'x', 'handler_failed', '',"
            " '\\x00', 'blocking')",
            projection.name,
            name,
        )
        assert await state() == ("stopped", None)  # a poison event outranks the rest
        [blocked] = await parked_events(pool, projection.name)
        assert (blocked.disposition, blocked.stream_seq) == ("blocking", 1)
    finally:
        await pool.close()


async def test_timers_due_are_scheduled_work_still_owed_with_their_due_times(
    fresh_database: Any,
) -> None:
    """Issue #19: 20,000 screening timers took 15 minutes to settle while the status said
    "caught up". Pending timers that are due count as lag, by kind, with their due times."""
    dsn = await fresh_database("timer_status")
    await migrate(dsn)
    pool = await create_pool(dsn, max_size=2)
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    rows = [  # (key, due_at, fired, failed, cancelled, retry_at)
        ("screen:a", now - timedelta(minutes=15), None, None, None, None),
        ("screen:b", now - timedelta(minutes=1), None, None, None, None),
        ("screen:c", now + timedelta(hours=1), None, None, None, None),
        ("screen:d", now - timedelta(days=1), now, None, None, None),  # fired
        ("overdue:e", now - timedelta(hours=2), None, now, None, None),  # gave up
        ("overdue:f", now - timedelta(hours=3), None, None, now, None),  # cancelled
        ("overdue:g", now - timedelta(hours=1), None, None, None, now + timedelta(minutes=5)),
    ]
    try:
        await pool.executemany(
            "INSERT INTO timers (key, due_at, command, fired_at, failed_at, cancelled_at,"
            " retry_at) VALUES ($1, $2, '{}', $3, $4, $5, $6)",
            rows,
        )
        status = await timer_status(pool, now)
        assert (status.state, status.pending, status.due, status.failed) == ("behind", 4, 2, 1)
        assert status.oldest_due_at == now - timedelta(minutes=15)
        assert status.next_due_at == now + timedelta(minutes=5)  # the retry's backoff
        kinds = {k.kind: (k.pending, k.due, k.failed) for k in status.kinds}
        assert kinds == {"overdue": (1, 0, 1), "screen": (3, 2, 0)}
        later = await timer_status(pool, now + timedelta(hours=2))
        assert (later.state, later.due) == ("behind", 4)
        await pool.execute("UPDATE timers SET fired_at = $1 WHERE failed_at IS NULL", now)
        done = await timer_status(pool, now)
        assert (done.state, done.pending, done.due, done.failed) == ("caught up", 0, 0, 1)
    finally:
        await pool.close()
