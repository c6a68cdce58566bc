"""The whole system for end-to-end tests: the four real services and the gateway.

Started once per module (they take a few seconds), each service with its own brand-new
database and under its real bus name, so the real JetStream streams (MEMBERSHIP, FINANCE,
CARE, ADVOCACY) are wiped before and after. The plugin's ``fresh_database`` and
``service_streams`` are function-scoped, so the same mechanisms (``DatabaseFactory``,
``delete_streams_containing(..., exact=True)``) are used here at module scope.

Tests talk to the gateway only, over HTTP (httpx ASGI transport, the app's own lifespan).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import nats
import pytest_asyncio

from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_runtime.clock import Clock, SystemClock
from ishc_runtime.privacy import LocalMasterKeys, TransportKey, new_key
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .harness import E2E_SECRET, SERVICES, System, definition_of, wipe_service_streams


@asynccontextmanager
async def running_system(
    infrastructure: Infrastructure, *, clock: Clock | None = None, prefix: str = "e2e"
) -> AsyncIterator[System]:
    """The four services, reporting and the gateway on fresh databases and wiped streams;
    every service reads `clock` (the system clock by default)."""
    nats_url = infrastructure.nats_url
    databases = DatabaseFactory(infrastructure.postgres_dsn)
    # Personal data sealed as in production (ADR 0051): a master key per service, one
    # transport key for all, made for this run.
    transport = TransportKey.generate().to_text()
    await wipe_service_streams(nats_url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            running: dict[str, Service] = {}
            for name in SERVICES:
                dsn = await databases.create(f"{prefix}_{name}")
                settings = ServiceSettings(
                    database_url=dsn,
                    nats_url=nats_url,
                    master_keys=LocalMasterKeys("k1", {"k1": new_key()}).to_json(),
                    transport_key=transport,
                )
                service = Service(definition_of(name), settings, clock=clock or SystemClock())
                running[name] = await stack.enter_async_context(service)
            nc = await nats.connect(nats_url, name="ishc-e2e-gateway", connect_timeout=5)
            stack.push_async_callback(nc.close)
            app = create_app(
                GatewaySettings(
                    nats_url=nats_url,
                    dev_mode=True,
                    jwt_hs256_secret=E2E_SECRET,
                    request_timeout_seconds=10,
                    transport_key=transport,
                ),
                nc,
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            asgi = httpx.ASGITransport(app=app)
            http = await stack.enter_async_context(
                httpx.AsyncClient(transport=asgi, base_url="http://gateway", timeout=30)
            )
            answers: list[httpx.Response] = []

            async def ready() -> bool:
                # Each service must answer a probe within a second: on a loaded machine a
                # service just started may need a few tries.
                answers.append(await http.get("/readyz"))
                return answers[-1].status_code == 200

            await wait_until(ready, timeout=60, interval=0.5, message="the system never got ready")
            yield System(http=http, services=running, tokens={}, transport=asgi)
    finally:
        await wipe_service_streams(nats_url)
        await databases.drop_all()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(infrastructure: Infrastructure) -> AsyncIterator[System]:
    async with running_system(infrastructure) as running:
        yield running
