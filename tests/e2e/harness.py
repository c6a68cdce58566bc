"""What the end-to-end tests hold on to: the running system and how to talk to it over HTTP.

The fixture that starts it is in ``conftest.py``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from ishc_contracts import new_id
from ishc_runtime.service import Service, ServiceDefinition
from ishc_runtime.testing.jetstream import delete_streams_containing
from ishc_runtime.testing.plugin import SERVICE_STREAMS

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
