"""The dashboard's only way to data: the gateway's own `/v1` routes, called in-process.

Each page request gets an httpx client on the running app (ASGI transport, no socket) that
sends the user's bearer token, so authentication, role and scope rules, validation and
problem details are exactly the API's. Nothing here talks to NATS or the services.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
from starlette.requests import Request

from ishc_contracts import new_id


@dataclass(frozen=True)
class Answer:
    """A query's answer: `data` on success, else the problem document."""

    status: int
    data: Any = None
    stale: bool = False
    problem: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Outcome:
    """A command's outcome: the API's body (accepted result, or a problem)."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    @property
    def duplicate(self) -> bool:
        return bool(self.body.get("duplicate"))

    def token_for(self, prefix: str) -> str | None:
        """The consistency token of the stream named `prefix...` the command wrote (a command
        that loads another stream first lists that one too, unwritten)."""
        streams: dict[str, int] = self.body.get("streams") or {}
        for stream_id, version in streams.items():
            if stream_id.startswith(prefix):
                return f"{stream_id}@{version}"
        token = self.body.get("consistency")
        return token if isinstance(token, str) else None

    def field_errors(self) -> dict[str, str]:
        """Problem `errors` by top-level field name (`volunteer_ids.0` → `volunteer_ids`)."""
        found: dict[str, str] = {}
        for issue in self.body.get("errors") or ():
            name = str(issue.get("field", "")).split(".")[0]
            if name and name not in found:
                found[name] = str(issue.get("message", ""))
        return found

    @property
    def message(self) -> str:
        detail = self.body.get("detail") or ""
        title = self.body.get("title") or ""
        return f"{title}: {detail}" if title and detail and title != detail else title or detail


def _query(params: dict[str, Any]) -> dict[str, str | list[str]]:
    """Query parameters; a list repeats its parameter (`month=…&month=…`), None leaves it out."""
    return {
        k: [str(item) for item in v] if isinstance(v, list | tuple) else str(v)
        for k, v in params.items()
        if v is not None
    }


class Api:
    """The gateway API as the signed-in user."""

    def __init__(self, request: Request, token: str, lang: str) -> None:
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app),
            base_url="http://gateway.internal",
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            # Queries with a consistency token may wait on the read model, bounded server-side.
            timeout=30,
        )

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: Any) -> Answer:
        response = await self._client.get(path, params=_query(params))
        body = _json(response)
        if response.status_code != 200:
            return Answer(status=response.status_code, problem=body)
        # Queries answer {"data", "stale"}, reports {"data"}: the envelope is unwrapped.
        if isinstance(body, dict) and "data" in body and set(body) <= {"data", "stale"}:
            return Answer(status=200, data=body["data"], stale=bool(body.get("stale")))
        return Answer(status=200, data=body)

    async def query(self, service: str, name: str, **params: Any) -> Answer:
        return await self.get(f"/v1/{service}/queries/{name}", **params)

    async def raw(self, path: str, **params: Any) -> httpx.Response:
        return await self._client.get(path, params=_query(params))

    async def command(
        self,
        service: str,
        name: str,
        body: dict[str, Any],
        *,
        key: UUID | None = None,
        club_id: UUID | None = None,
    ) -> Outcome:
        response = await self._client.post(
            f"/v1/{service}/commands/{name}",
            json=body,
            params={"club_id": str(club_id)} if club_id else None,
            headers={"Idempotency-Key": str(key or new_id())},
        )
        parsed = _json(response)
        return Outcome(status=response.status_code, body=parsed if isinstance(parsed, dict) else {})

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = await self._client.post(path, json=body)
        return response.status_code, _json(response)

    async def gather(self, **calls: Any) -> dict[str, Answer]:
        """Several queries at once: `name=(service, query, params)`."""
        names = list(calls)
        answers = await asyncio.gather(
            *(self.query(service, query, **params) for service, query, params in calls.values())
        )
        return dict(zip(names, answers, strict=True))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"title": response.reason_phrase, "status": response.status_code}


async def dev_token(request: Request, user: str) -> dict[str, Any] | None:
    """A demo user's token from the gateway's own dev issuer (`POST /v1/dev/tokens`), which
    exists only in dev mode; None when it refuses."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=request.app), base_url="http://gateway.internal"
    ) as client:
        response = await client.post("/v1/dev/tokens", json={"user": user})
    if response.status_code not in (200, 201):
        return None
    issued: dict[str, Any] = response.json()
    return issued
