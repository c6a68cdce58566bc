"""The test infrastructure itself: real servers, isolation, durability, waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest
from nats.aio.client import Client
from nats.js.api import StorageType

from ishc_runtime.infra import EmbeddedNats, EmbeddedPostgres, assert_sync_always
from ishc_runtime.testing import (
    Backend,
    DatabaseFactory,
    Infrastructure,
    delete_streams_containing,
    unique_token,
    wait_until,
)
from ishc_runtime.testing.plugin import MakeDatabase

pytestmark = pytest.mark.integration


async def test_postgres_answers_and_is_recent(infrastructure: Infrastructure) -> None:
    connection = await asyncpg.connect(infrastructure.postgres_dsn)
    try:
        assert await connection.fetchval("SELECT 1") == 1
        version = int(await connection.fetchval("SHOW server_version_num"))
        assert version >= 150000
        if infrastructure.postgres_backend is Backend.EMBEDDED:
            assert urlsplit(infrastructure.postgres_dsn).port != 5432
            assert await connection.fetchval("SHOW fsync") == "on"
            assert await connection.fetchval("SHOW synchronous_commit") == "on"
    finally:
        await connection.close()


async def test_fresh_databases_are_isolated(fresh_database: MakeDatabase) -> None:
    first_dsn = await fresh_database("isolation_a")
    second_dsn = await fresh_database("isolation_a")
    assert first_dsn != second_dsn
    first = await asyncpg.connect(first_dsn)
    second = await asyncpg.connect(second_dsn)
    try:
        await first.execute("CREATE TABLE marker (id int)")
        await first.execute("INSERT INTO marker VALUES (1)")
        assert await first.fetchval("SELECT count(*) FROM marker") == 1
        assert await second.fetchval("SELECT to_regclass('marker')") is None
        assert await first.fetchval("SELECT current_database()") != await second.fetchval(
            "SELECT current_database()"
        )
    finally:
        await first.close()
        await second.close()


async def test_database_dsn_is_an_empty_database(database_dsn: str) -> None:
    connection = await asyncpg.connect(database_dsn)
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        assert tables == 0
    finally:
        await connection.close()


async def test_created_databases_are_dropped_even_with_open_sessions(
    infrastructure: Infrastructure,
) -> None:
    factory = DatabaseFactory(infrastructure.postgres_dsn)
    dsn = await factory.create("dropped")
    lingering = await asyncpg.connect(dsn)  # DROP ... WITH (FORCE) must not wait for it
    (name,) = factory.created
    await factory.drop_all()
    admin = await asyncpg.connect(infrastructure.postgres_dsn)
    try:
        assert await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name) is None
    finally:
        await admin.close()
        lingering.terminate()


async def test_jetstream_is_enabled_and_streams_can_be_created(
    infrastructure: Infrastructure, nats_client: Client, stream_suffix: str
) -> None:
    jetstream = nats_client.jetstream()
    account = await jetstream.account_info()
    assert account.limits is not None
    subject = f"infra.{stream_suffix}.probe"
    await jetstream.add_stream(name=f"INFRA_{stream_suffix}", subjects=[subject])
    ack = await jetstream.publish(subject, b"hello")
    assert ack.stream == f"INFRA_{stream_suffix}"
    assert ack.seq == 1
    if infrastructure.nats_backend is Backend.EMBEDDED:
        assert infrastructure.nats_monitor_url is not None
        assert_sync_always(infrastructure.nats_monitor_url)
        assert urlsplit(infrastructure.nats_url).port != 4222


async def test_streams_named_with_a_token_are_cleaned_up(
    infrastructure: Infrastructure, nats_client: Client
) -> None:
    token, other = unique_token(), unique_token()
    jetstream = nats_client.jetstream()
    await jetstream.add_stream(name=f"CLEAN_{token}", subjects=[f"clean.{token}"])
    await jetstream.add_stream(name=f"KEEP_{other}", subjects=[f"keep.{other}"])
    try:
        assert await delete_streams_containing(infrastructure.nats_url, token) == [f"CLEAN_{token}"]
        remaining = {info.config.name for info in await jetstream.streams_info()}
        assert f"CLEAN_{token}" not in remaining
        assert f"KEEP_{other}" in remaining
    finally:
        await delete_streams_containing(infrastructure.nats_url, other)


async def test_killed_nats_keeps_acknowledged_messages(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats")
    server.start()
    try:
        client = await nats.connect(server.url, allow_reconnect=False)
        jetstream = client.jetstream()
        await jetstream.add_stream(name="DURABLE", subjects=["durable.>"], storage=StorageType.FILE)
        ack = await jetstream.publish("durable.one", b"survives SIGKILL")
        await client.close()
        port, monitor_url = server.port, server.monitor_url

        server.kill()
        assert not server.running
        server.restart()

        assert (server.port, server.monitor_url) == (port, monitor_url)
        assert_sync_always(server.monitor_url)
        client = await nats.connect(server.url, allow_reconnect=False)
        try:
            stored = await client.jetstream().get_msg("DURABLE", seq=ack.seq)
            assert stored.data == b"survives SIGKILL"
        finally:
            await client.close()
    finally:
        server.stop()


async def test_embedded_postgres_reuses_an_existing_cluster(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pgdata")
    with server:
        connection = await asyncpg.connect(server.dsn())
        await connection.execute("CREATE TABLE kept (value text)")
        await connection.execute("INSERT INTO kept VALUES ('between runs')")
        await connection.close()
    assert not server.running
    with server:
        connection = await asyncpg.connect(server.dsn())
        try:
            assert await connection.fetchval("SELECT value FROM kept") == "between runs"
        finally:
            await connection.close()


async def test_wait_until_returns_once_the_condition_holds() -> None:
    flag = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, flag.set)
    await wait_until(flag.is_set, timeout=5, message="flag never set")

    calls = 0

    async def third_time_lucky() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    await wait_until(third_time_lucky, timeout=5, interval=0.001)
    assert calls == 3


async def test_wait_until_raises_with_the_message_on_timeout() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AssertionError, match="never true"):
        await wait_until(lambda: False, timeout=0.1, message="never true")
    assert 0.1 <= loop.time() - started < 2
