"""Reactions: a service acting on another service's event by issuing its own command.

A reaction is a projection whose handlers send commands through the normal command path.
The command id is derived from the causing event id and the reaction's name, so however
often the event is delivered (redelivery, replay, a retried batch) the command appends once.
"""

from __future__ import annotations

import uuid
from typing import Any

from ishc_contracts import SYSTEM_ACTOR, Actor, CommandEnvelope, EventEnvelope

_NAMESPACE = uuid.UUID("6b1f3f4e-8a61-4f5e-9d0c-2f8f1f5f0a11")


def reaction_command(
    reaction: str,
    cause: EventEnvelope,
    command_type: str,
    payload: dict[str, Any],
    *,
    actor: Actor = SYSTEM_ACTOR,
) -> CommandEnvelope:
    """The command `reaction` issues because of `cause`, with a deterministic command_id."""
    return CommandEnvelope(
        command_id=uuid.uuid5(_NAMESPACE, f"{reaction}:{cause.event_id}"),
        type=command_type,
        actor=actor,
        correlation_id=cause.metadata.correlation_id,
        causation_id=cause.event_id,
        club_id=cause.metadata.club_id,
        occurred_at=cause.metadata.occurred_at,
        payload=payload,
    )
