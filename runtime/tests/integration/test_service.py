"""A service assembled by the runtime, driven over NATS request/reply like the gateway will."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, QueryEnvelope, new_id
from ishc_contracts.errors import Reply
from ishc_runtime.clock import FakeClock, vn_start_of_day
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.projections.rebuild import reset_projection
from ishc_runtime.service import Service, ServiceSettings, ask, send_command
from ishc_runtime.testing.background import running
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_service import sample_service
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str
) -> AsyncIterator[Service]:
    settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(sample_service(f"sample{stream_suffix}"), settings) as running:
        yield running


def command(kind: str, **payload: object) -> CommandEnvelope:
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=payload)


async def test_commands_and_read_your_writes_queries_over_nats(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    account = str(new_id())
    opened = await send_command(
        nats_client, name, command("OpenAccount", account_id=account, owner="Lan")
    )
    assert opened.ok, opened.problem
    deposited = await send_command(
        nats_client, name, command("Deposit", account_id=account, amount=250_000)
    )
    assert deposited.ok and deposited.result is not None
    version = deposited.result["streams"][f"account-{account}"]

    read = await ask(
        nats_client,
        name,
        QueryEnvelope(
            type="Balance", actor=SYSTEM_ACTOR, params={"account_id": account}, min_version=version
        ),
    )

    assert read.ok, read.problem
    assert read.result == {"owner": "Lan", "balance": 250_000, "version": 2, "stale": False}


async def test_a_repeated_command_returns_the_first_result(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    open_it = command("OpenAccount", account_id=str(new_id()), owner="Mai")

    first = await send_command(nats_client, name, open_it)
    again = await send_command(nats_client, name, open_it)

    assert first.ok and again.ok and first.result and again.result
    assert again.result["duplicate"] is True
    assert again.result["event_ids"] == first.result["event_ids"]


@pytest.mark.parametrize(
    ("body", "problem_type", "field"),
    [
        (b"{not json", "validation", "<body>"),
        (b'{"type": "Deposit"}', "validation", "command_id"),
        (command("Teleport").model_dump_json().encode(), "unknown-command", None),
        (
            command("Deposit", account_id="nope", amount=-1).model_dump_json().encode(),
            "validation",
            "payload.account_id",
        ),
        (
            command("Deposit", account_id=str(new_id()), amount=1, extra=1)
            .model_dump_json()
            .encode(),
            "validation",
            "payload.extra",
        ),
        # Postgres stores U+0000 in neither text nor jsonb: refused before any write.
        (
            command("OpenAccount", account_id=str(new_id()), owner="L\u0000an")
            .model_dump_json()
            .encode(),
            "validation",
            "payload.owner",
        ),
        (
            json.dumps(
                {
                    "command_id": str(new_id()),
                    "type": "OpenAccount",
                    "actor": {"user_id": "vol\u0000", "role": "volunteer"},
                    "payload": {"account_id": str(new_id()), "owner": "Lan"},
                }
            ).encode(),
            "validation",
            "actor.user_id",
        ),
    ],
)
async def test_bad_input_gets_a_typed_problem_naming_the_field(
    service: Service, nats_client: Client, body: bytes, problem_type: str, field: str | None
) -> None:
    subject = f"ishc.cmd.{service.definition.name}.Deposit"

    reply = await nats_client.request(subject, body, timeout=5)

    parsed = Reply.model_validate_json(reply.data)
    assert not parsed.ok and parsed.problem is not None
    assert parsed.problem.type == problem_type
    if field is not None:
        assert field in [issue.field for issue in parsed.problem.errors]
    assert await service.context.pool.fetchval("SELECT count(*) FROM events") == 0


async def test_a_broken_rule_is_a_domain_problem_and_appends_nothing(
    service: Service, nats_client: Client
) -> None:
    reply = await send_command(
        nats_client, service.definition.name, command("Deposit", account_id=str(new_id()), amount=5)
    )

    assert not reply.ok and reply.problem is not None
    assert reply.problem.type == "invalid-state"
    assert reply.problem.status == 409
    assert await service.context.pool.fetchval("SELECT count(*) FROM events") == 0


async def test_a_service_that_is_not_running_answers_503(nats_client: Client) -> None:
    reply = await send_command(nats_client, "nobodyhome", command("Deposit"), timeout=1)

    assert not reply.ok and reply.problem is not None
    assert reply.problem.status == 503
    assert reply.problem.extra["retry_after"] > 0


async def test_a_projection_rebuilt_from_the_stream_equals_the_live_one(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    accounts = [str(new_id()) for _ in range(3)]
    last = None
    for n, account in enumerate(accounts):
        await send_command(
            nats_client, name, command("OpenAccount", account_id=account, owner=f"M{n}")
        )
        for amount in (1_000, 2_000 * (n + 1)):
            last = await send_command(
                nats_client, name, command("Deposit", account_id=account, amount=amount)
            )
    assert last is not None and last.ok
    runner = service.runners[f"{name}_balances"]
    pool = service.context.pool

    relay = service.relay
    assert relay is not None

    async def live_caught_up() -> bool:
        return await relay.lag() == 0 and await _caught_up(runner)

    await wait_until(live_caught_up, timeout=20, message="live projection lagging")
    async with pool.acquire() as conn:
        live = await table_rows(conn, "balances")
    service.stopping.set()  # stop the live runner before emptying its tables
    for task in service._tasks:
        await task
    async with pool.acquire() as conn:
        await reset_projection(conn, runner.projection)
        assert await table_rows(conn, "balances") == []

    rebuilding = ProjectionRunner(
        pool, nats_client, runner.projection, service.definition.registry, poll_interval=0.05
    )
    async with running(rebuilding.run):
        await wait_until(lambda: _caught_up(rebuilding), timeout=20, message="rebuild lagging")
    async with pool.acquire() as conn:
        assert await table_rows(conn, "balances") == live
    assert len(live) == 3


async def _caught_up(runner: ProjectionRunner) -> bool:
    lags = await runner.lag()
    return all(lag == 0 for lag in lags.values())


async def test_a_due_timer_fires_its_command_through_the_service_routes(
    fresh_database: Any, infrastructure: Infrastructure, stream_suffix: str
) -> None:
    clock = FakeClock(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    settings = ServiceSettings(
        database_url=await fresh_database("timers"),
        nats_url=infrastructure.nats_url,
        run_scheduler=False,
    )
    async with Service(sample_service(f"timers{stream_suffix}"), settings, clock=clock) as service:
        ctx = service.context
        account = str(new_id())
        await service.definition.routes.run(
            ctx, command("OpenAccount", account_id=account, owner="Lan")
        )
        due = vn_start_of_day(date(2026, 12, 1))
        await ctx.scheduler.schedule(
            f"interest:{account}", due, command("Deposit", account_id=account, amount=500)
        )

        assert await ctx.scheduler.fire_due() == 0
        clock.advance(timedelta(hours=1))
        assert await ctx.scheduler.fire_due() == 1
        assert await ctx.store.stream_version(f"account-{account}") == 2


async def _get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    raw = (await reader.read()).decode()
    writer.close()
    return int(raw.split(" ")[1]), raw.split("\r\n\r\n", 1)[1]


async def test_health_endpoints_report_liveness_readiness_and_metrics(
    fresh_database: Any, infrastructure: Infrastructure, stream_suffix: str
) -> None:
    settings = ServiceSettings(
        database_url=await fresh_database("health"),
        nats_url=infrastructure.nats_url,
        health_port=0,
    )
    async with Service(sample_service(f"health{stream_suffix}"), settings) as service:
        assert service.health is not None
        port = service.health.port

        assert await _get(port, "/healthz") == (200, '{"status":"ok"}')
        status, body = await _get(port, "/readyz")
        assert status == 200
        assert json.loads(body)["checks"] == {
            "nats": True,
            "postgres": True,
            "workers": True,
            "projections": True,
        }
        status, body = await _get(port, "/metrics")
        assert status == 200
        assert "ishc_events_appended_total" in body

        await service._nc.close()  # type: ignore[union-attr]
        status, body = await _get(port, "/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["nats"] is False


async def test_a_request_waiting_on_its_consistency_token_does_not_hold_up_the_next(
    service: Service, nats_client: Client
) -> None:
    name = service.definition.name
    account = str(new_id())
    opened = await send_command(
        nats_client, name, command("OpenAccount", account_id=account, owner="Hoa")
    )
    assert opened.ok and opened.result is not None, opened.problem

    def balance(min_version: int | None) -> QueryEnvelope:
        return QueryEnvelope(
            type="Balance",
            actor=SYSTEM_ACTOR,
            params={"account_id": account},
            min_version=min_version,
        )

    # A version the account never reaches: this query waits out its whole consistency bound.
    # Both go out on one connection in this order, so the service receives the waiting one
    # first; one-at-a-time handling would answer the plain one only after it.
    waiting = asyncio.create_task(ask(nats_client, name, balance(99)))
    opened_version = opened.result["streams"][f"account-{account}"]
    plain = asyncio.create_task(ask(nats_client, name, balance(opened_version)))

    done, _ = await asyncio.wait({waiting, plain}, return_when=asyncio.FIRST_COMPLETED)

    assert plain in done and waiting not in done
    answered = plain.result()
    assert answered.ok and answered.result is not None
    assert answered.result["owner"] == "Hoa"
    stale = await waiting
    assert stale.ok and stale.result is not None and stale.result["stale"] is True
