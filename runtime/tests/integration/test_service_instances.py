"""Service instances as operators see them: start-up that waits for its database, /readyz
naming the instance and the roles it leads, and two instances splitting the roles."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest
from nats.aio.client import Client

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_runtime.service import Service, ServiceSettings, send_command
from ishc_runtime.testing.databases import database_name, quote_identifier, with_database
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_service import sample_service
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration


async def readyz(port: int) -> tuple[int, dict[str, object]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


def settings(dsn: str, infrastructure: Infrastructure, instance: str) -> ServiceSettings:
    return ServiceSettings(
        database_url=dsn,
        nats_url=infrastructure.nats_url,
        instance_id=instance,
        health_port=0,
        lease_ttl_seconds=2,
        startup_backoff_max_seconds=0.2,
    )


async def test_a_service_started_before_its_database_waits_and_then_serves(
    infrastructure: Infrastructure, stream_suffix: str, nats_client: Client
) -> None:
    name = database_name("not_yet")
    dsn = with_database(infrastructure.postgres_dsn, name)
    service = Service(
        sample_service(f"sample{stream_suffix}"), settings(dsn, infrastructure, "early")
    )
    starting = asyncio.create_task(service.start())
    try:
        await wait_until(lambda: service.health is not None, timeout=20)
        assert service.health is not None
        status, body = await readyz(service.health.port)
        assert status == 503
        assert body["checks"] == {
            "nats": False,
            "postgres": False,
            "workers": True,
            "projections": True,
        }
        assert not starting.done()  # retrying, not exited

        admin = await asyncpg.connect(infrastructure.postgres_dsn)
        try:
            await admin.execute(f"CREATE DATABASE {quote_identifier(name)}")
        finally:
            await admin.close()
        await asyncio.wait_for(starting, timeout=60)

        async def ready() -> bool:
            assert service.health is not None
            return (await readyz(service.health.port))[0] == 200

        await wait_until(ready, timeout=30, message="never became ready")
        opened = await send_command(
            nats_client,
            service.definition.name,
            CommandEnvelope(
                command_id=new_id(),
                type="OpenAccount",
                actor=SYSTEM_ACTOR,
                payload={"account_id": str(new_id()), "owner": "Lan"},
            ),
        )
        assert opened.ok, opened.problem
    finally:
        await service.stop()
        admin = await asyncpg.connect(infrastructure.postgres_dsn)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)} WITH (FORCE)")
        finally:
            await admin.close()


async def test_a_stop_during_start_up_returns_without_starting(
    infrastructure: Infrastructure, stream_suffix: str
) -> None:
    dsn = with_database(infrastructure.postgres_dsn, database_name("never"))
    service = Service(sample_service(f"sample{stream_suffix}"), settings(dsn, infrastructure, "x"))
    starting = asyncio.create_task(service.start())
    await wait_until(lambda: service.health is not None, timeout=20)
    service.stopping.set()
    await asyncio.wait_for(starting, timeout=20)
    await service.stop()


async def test_two_instances_split_the_roles_and_one_takes_over_when_the_other_stops(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str
) -> None:
    definition = sample_service(f"sample{stream_suffix}")
    first = Service(definition, settings(database_dsn, infrastructure, "first"))
    second = Service(definition, settings(database_dsn, infrastructure, "second"))
    await first.start()
    await second.start()
    try:
        roles = {
            f"relay:{first.relay.config.stream}" if first.relay else "",
            "scheduler",
            *(r.role(s) for r in first.runners.values() for s in r.projection.sources),
        }

        def led() -> set[str]:
            assert first.leases is not None and second.leases is not None
            return {*first.leases.held, *second.leases.held}

        await wait_until(lambda: led() == roles, timeout=30, message="not every role is led")
        assert first.leases is not None and second.leases is not None
        assert not set(first.leases.held) & set(second.leases.held)
        assert second.health is not None
        _, body = await readyz(second.health.port)
        assert body["instance"] == "second"
        leading = body["leading"]
        assert isinstance(leading, list)
        assert set(leading) == set(second.leases.held)

        await first.stop()  # a clean stop releases its leases: no wait for the ttl
        survivor = second.leases
        await wait_until(lambda: set(survivor.held) == roles, timeout=30, message="no takeover")
    finally:
        await second.stop()
        await first.stop()
