"""Event and command contracts shared by every ISHC service."""

from ishc_contracts.envelope import (
    MSG_ID_HEADER,
    SEQ_HEADER,
    SYSTEM_ACTOR,
    TYPE_HEADER,
    Actor,
    CommandEnvelope,
    EventEnvelope,
    EventMetadata,
    QueryEnvelope,
    new_id,
    utc_now,
)
from ishc_contracts.events import Command, Event, Payload, Query, Sensitive, sensitive_fields
from ishc_contracts.registry import (
    EventRegistry,
    InvalidEventPayload,
    UnknownEventType,
    UnsupportedSchemaVersion,
)

__all__ = [
    "MSG_ID_HEADER",
    "SEQ_HEADER",
    "SYSTEM_ACTOR",
    "TYPE_HEADER",
    "Actor",
    "Command",
    "CommandEnvelope",
    "Event",
    "EventEnvelope",
    "EventMetadata",
    "EventRegistry",
    "InvalidEventPayload",
    "Payload",
    "Query",
    "QueryEnvelope",
    "Sensitive",
    "UnknownEventType",
    "UnsupportedSchemaVersion",
    "new_id",
    "sensitive_fields",
    "utc_now",
]
