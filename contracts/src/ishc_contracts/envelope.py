"""Envelopes: what travels with every event, command and query, whatever the service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import uuid_utils
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ishc_contracts.text import RefusesNul

# NATS headers on every published event. The body is the `EventEnvelope` JSON; the headers
# let JetStream dedupe (`Nats-Msg-Id`) and let a relay resume and a router filter without
# parsing the body.
MSG_ID_HEADER = "Nats-Msg-Id"  # = event_id: broker-side dedup within the duplicate window
SEQ_HEADER = "Ishc-Seq"  # the owning store's commit-ordered `seq`
TYPE_HEADER = "Ishc-Type"  # the wire name `<service>.<EventType>`


def new_id() -> UUID:
    """A UUIDv7: time-ordered, so ids made offline on a device still sort by creation."""
    return UUID(str(uuid_utils.uuid7()))


def utc_now() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(RefusesNul, Frozen):
    """Who caused a change: a person with a role, or a service acting on its own."""

    user_id: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=100)


SYSTEM_ACTOR = Actor(user_id="system", role="system")


class EventMetadata(Frozen):
    """Context carried by every stored event (DESIGN §3)."""

    correlation_id: UUID
    causation_id: UUID | None = None
    actor: Actor
    club_id: UUID | None = None
    occurred_at: AwareDatetime
    command_id: UUID | None = None
    trace_context: dict[str, str] = Field(default_factory=dict)


class EventEnvelope(Frozen):
    """A stored event as other services see it on the bus.

    `type` is the wire name `<service>.<EventType>`; it never changes. `seq` is the owning
    store's global, commit-ordered position; `version` the position within its stream.
    """

    event_id: UUID
    type: str
    schema_version: int = Field(ge=1)
    stream_id: str
    stream_type: str
    version: int = Field(ge=1)
    seq: int | None = None
    recorded_at: AwareDatetime
    metadata: EventMetadata
    data: dict[str, Any]

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.type.split(".", 1)[1]


class CommandEnvelope(RefusesNul, Frozen):
    """A request to change state. `command_id` is the client's Idempotency-Key."""

    nul_checked_elsewhere = frozenset({"payload", "actor"})

    command_id: UUID
    type: str
    actor: Actor
    correlation_id: UUID = Field(default_factory=new_id)
    causation_id: UUID | None = None
    club_id: UUID | None = None
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    payload: dict[str, Any] = Field(default_factory=dict)
    trace_context: dict[str, str] = Field(
        default_factory=dict,
        description="W3C trace context (traceparent, tracestate) of the sender's span: the "
        "service continues the trace, and the events appended carry it",
    )


class QueryEnvelope(RefusesNul, Frozen):
    """A read. `min_version` asks for read-your-writes: wait (bounded) until the read model
    has applied the stream up to that version."""

    nul_checked_elsewhere = frozenset({"params", "actor"})

    type: str
    actor: Actor
    params: dict[str, Any] = Field(default_factory=dict)
    min_version: int | None = None
    stream_id: str | None = None
    trace_context: dict[str, str] = Field(
        default_factory=dict, description="W3C trace context of the sender's span"
    )
