"""Live updates: a server-sent-events stream of a club's new events, as notifications.

Each SSE message names an event (type, stream, version, time) and carries the consistency
token for it, never the event's data: a client refetches what it shows through the scoped
queries, passing the token, so the stream leaks no personal data and needs no per-field
rules. Live only: after a reconnect, refetch (no replay from `Last-Event-ID`).

Roles that read aggregates only (provincial officers, operators) get no per-event notice at
all: a stream id names a person's case or loan and an event type says what happened to them
(`MemberLeft`, `DisabilityRecorded`). They get `event: changed` with the service's name, enough
to refresh a figure.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from gateway import problems
from gateway.api import PrincipalDep, gateway_of
from gateway.gateway_state import consistency_token
from gateway.policy import in_scope
from ishc_contracts import subjects

HEARTBEAT_SECONDS = 15.0


def notification(body: bytes, club_id: UUID, *, per_event: bool = True) -> str | None:
    """The SSE message for an event envelope of `club_id`; None for anything else. Without
    `per_event`, only which service changed: no event id, type, stream or version."""
    try:
        envelope = json.loads(body)
        if str(envelope["metadata"]["club_id"]) != str(club_id):
            return None
        if not per_event:
            service = str(envelope["type"]).split(".", 1)[0]
            return f"event: changed\ndata: {json.dumps({'service': service})}\n\n"
        data = {
            "event_id": str(envelope["event_id"]),
            "type": str(envelope["type"]),
            "stream_id": str(envelope["stream_id"]),
            "version": int(envelope["version"]),
            "recorded_at": str(envelope.get("recorded_at", "")),
            "consistency": consistency_token(str(envelope["stream_id"]), int(envelope["version"])),
        }
    except (ValueError, KeyError, TypeError):
        return None
    return f"id: {data['event_id']}\nevent: {data['type']}\ndata: {json.dumps(data)}\n\n"


async def club_events(
    nc: NatsClient,
    services: tuple[str, ...],
    club_id: UUID,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    ready: asyncio.Event | None = None,
    per_event: bool = True,
) -> AsyncGenerator[str, None]:
    """SSE text for every new event of `club_id` on the services' event subjects."""
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)

    async def on_message(msg: Msg) -> None:
        text = notification(msg.data, club_id, per_event=per_event)
        if text is not None:
            with contextlib.suppress(asyncio.QueueFull):  # a slow client loses notifications
                queue.put_nowait(text)

    subscriptions = [
        await nc.subscribe(subjects.all_events(service), cb=on_message) for service in services
    ]
    try:
        await nc.flush()
        if ready is not None:
            ready.set()
        yield ": connected\n\n"
        while True:
            try:
                yield await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield ": keep-alive\n\n"
    finally:
        for subscription in subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()


def live_router() -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get(
        "/clubs/{club_id}/events",
        summary="Live notifications of a club's new events (server-sent events)",
        description="`text/event-stream`; each message: `event: <service.EventType>`, `data: "
        '{"event_id", "type", "stream_id", "version", "recorded_at", "consistency"}`. '
        "Refetch through the queries with `consistency` to show the change. Roles that read "
        "aggregates only (provincial officers, operators) get `event: changed`, `data: "
        '{"service"}` instead: nothing about one person. Comments every '
        f"{HEARTBEAT_SECONDS:.0f} s keep the connection open. A club outside your scope is "
        "404.",
        tags=["live"],
        operation_id="club_events",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
            **problems.ERROR_RESPONSES,
        },
    )
    async def events(
        request: Request,
        club_id: Annotated[UUID, Path(description="The club to follow")],
        principal: PrincipalDep,
    ) -> Any:
        gateway = gateway_of(request)
        if not in_scope(principal, club_id, gateway.directory):
            raise problems.not_found()
        nc = gateway.nc
        if nc is None or not nc.is_connected:
            raise problems.ProblemError(
                problems.make(
                    "service-unavailable", 503, "live updates need the bus", retry_after=2
                )
            )
        per_event = gateway.policy.reads_people(principal.role)
        return StreamingResponse(
            club_events(nc, gateway.settings.services, club_id, per_event=per_event),
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no"},
        )

    return router
