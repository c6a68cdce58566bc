"""Turning a JetStream message into something a projection can apply, or a reason it cannot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from pydantic import ValidationError

from ishc_contracts import (
    Event,
    EventEnvelope,
    EventRegistry,
    InvalidEventPayload,
    UnknownEventType,
    UnsupportedSchemaVersion,
)


@dataclass(frozen=True)
class Ready:
    envelope: EventEnvelope
    event: Any


@dataclass(frozen=True)
class Skip:
    """A valid event this projection has no handler for."""


@dataclass(frozen=True)
class Unusable:
    """A message no retry can fix: it is parked with `reason`."""

    reason: str
    detail: str
    envelope: EventEnvelope | None = None


Prepared = Ready | Skip | Unusable


# Opens a payload's sealed fields: (wire name, stream id, data) -> data (`Privacy.open`).
Opener = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def prepare(
    msg: Msg,
    registry: EventRegistry,
    handled: frozenset[str] | set[str],
    opener: Opener | None = None,
) -> Prepared:
    """The event in `msg`, decoded (its sealed fields opened by `opener`); the envelope keeps
    the payload as it travelled."""
    try:
        envelope = EventEnvelope.model_validate_json(msg.data)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "<body>" for e in error.errors())
        return Unusable("malformed", f"not an event envelope: {fields}")
    if not registry.knows(envelope.type):
        return Unusable("unknown_type", f"unknown event type {envelope.type!r}", envelope)
    if envelope.type not in handled:
        return Skip()
    try:
        data = (
            envelope.data
            if opener is None
            else opener(envelope.type, envelope.stream_id, envelope.data)
        )
        event: Event = registry.decode(envelope.type, envelope.schema_version, data)
    except UnsupportedSchemaVersion as error:
        return Unusable("unsupported_schema_version", str(error), envelope)
    except InvalidEventPayload as error:
        return Unusable("invalid_payload", str(error), envelope)
    except UnknownEventType as error:  # pragma: no cover - guarded by knows()
        return Unusable("unknown_type", str(error), envelope)
    return Ready(envelope, event)
