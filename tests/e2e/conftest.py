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
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest_asyncio

from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_contracts import new_id
from ishc_runtime.service import Service, ServiceDefinition, ServiceSettings
from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.jetstream import delete_streams_containing
from ishc_runtime.testing.plugin import SERVICE_STREAMS

SERVICES = ("membership", "finance", "care", "advocacy")


def definition_of(service: str) -> ServiceDefinition:
    built: ServiceDefinition = importlib.import_module(f"{service}.definition").definition()
    return built


async def wipe_service_streams(nats_url: str) -> None:
    for name in SERVICE_STREAMS:
        await delete_streams_containing(nats_url, name, exact=True)


@dataclass
class System:
    """The running system as the tests see it: an HTTP client and the services behind it."""

    http: httpx.AsyncClient
    services: dict[str, Service]
    tokens: dict[str, str]

    async def token(self, **claims: Any) -> str:
        """A dev token: ``user="secretary-a"`` or ``sub``/``role``/``club_ids``/..."""
        key = repr(sorted(claims.items()))
        if key not in self.tokens:
            response = await self.http.post("/v1/dev/tokens", json=claims)
            assert response.status_code in (200, 201), response.text
            self.tokens[key] = response.json()["access_token"]
        return self.tokens[key]

    async def command(
        self,
        bearer: str,
        service: str,
        name: str,
        body: dict[str, Any],
        *,
        key: UUID | None = None,
        expect: int | None = 201,
    ) -> httpx.Response:
        response = await self.http.post(
            f"/v1/{service}/commands/{name}",
            json=body,
            headers={
                "Authorization": f"Bearer {bearer}",
                "Idempotency-Key": str(key or new_id()),
            },
        )
        if expect is not None:
            assert response.status_code == expect, f"{service}/{name}: {response.text}"
        return response

    async def query(self, bearer: str, service: str, name: str, **params: Any) -> httpx.Response:
        return await self.http.get(
            f"/v1/{service}/queries/{name}",
            params={k: str(v) for k, v in params.items() if v is not None},
            headers={"Authorization": f"Bearer {bearer}"},
        )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(infrastructure: Infrastructure) -> AsyncIterator[System]:
    nats_url = infrastructure.nats_url
    databases = DatabaseFactory(infrastructure.postgres_dsn)
    await wipe_service_streams(nats_url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            running: dict[str, Service] = {}
            for name in SERVICES:
                dsn = await databases.create(f"e2e_{name}")
                settings = ServiceSettings(database_url=dsn, nats_url=nats_url)
                running[name] = await stack.enter_async_context(
                    Service(definition_of(name), settings)
                )
            nc = await nats.connect(nats_url, name="ishc-e2e-gateway", connect_timeout=5)
            stack.push_async_callback(nc.close)
            app = create_app(
                GatewaySettings(nats_url=nats_url, dev_mode=True, request_timeout_seconds=10),
                nc,
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
                )
            )
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            yield System(http=http, services=running, tokens={})
    finally:
        await wipe_service_streams(nats_url)
        await databases.drop_all()
