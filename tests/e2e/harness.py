"""What the end-to-end tests hold on to: the running system and how to talk to it over HTTP.

The fixture that starts it is in ``conftest.py``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import nats

from ishc_contracts import new_id
from ishc_runtime.service import Service, ServiceDefinition
from ishc_runtime.testing.jetstream import delete_streams_containing
from ishc_runtime.testing.plugin import SERVICE_STREAMS
from ishc_runtime.testing.waiting import wait_until

# The gateway's dev-mode secret for these tests (dev mode needs one of its own).
E2E_SECRET = "e2e-only-secret-0123456789abcdef0123456789abcdef"

# reporting last: its projections read the four services' streams, which they create.
SERVICES = ("membership", "finance", "care", "advocacy", "reporting")


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
    # How `http` reaches the gateway (None: over the network, at its base URL).
    transport: httpx.AsyncBaseTransport | None = None

    def browser(self, lang: str) -> httpx.AsyncClient:
        """Another client of the same gateway with cookies of its own: a person at a browser
        who reads `lang`."""
        return httpx.AsyncClient(
            transport=self.transport,
            base_url=self.http.base_url,
            headers={"Accept-Language": lang},
            timeout=30,
        )

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


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of one query on a database of the running system (its own connection)."""
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def until_known(
    system: System, bearer: str, service: str, name: str, body: dict[str, Any]
) -> None:
    """Send until the service has heard of the member from membership's events (a 404 or
    422 naming an unknown person means not yet)."""
    key = new_id()
    sent: list[str] = []

    async def accepted() -> bool:
        response = await system.command(bearer, service, name, body, key=key, expect=None)
        sent.append(response.text)
        assert response.status_code < 500, response.text
        return response.status_code in (200, 201)

    await wait_until(accepted, timeout=30, interval=0.2, message=f"{service}/{name}: {sent[-1:]}")


async def caught_up(system: System) -> None:
    """Every projection of every service has applied everything in its sources."""
    nc = await nats.connect(system_nats_url(system))
    try:
        js = nc.jetstream()

        async def no_lag() -> bool:
            for service in system.services.values():
                dsn = service.settings.database_url
                for row in await fetch(
                    dsn, "SELECT source, stream_seq FROM projection_checkpoints"
                ):
                    info = await js.stream_info(row["source"].upper())
                    if row["stream_seq"] < info.state.last_seq:
                        return False
            return True

        await wait_until(no_lag, timeout=60, interval=0.2, message="projections never caught up")
    finally:
        await nc.close()


def system_nats_url(system: System) -> str:
    return next(iter(system.services.values())).settings.nats_url
