"""Idempotency keys scoped to who sent what (issue #18).

A client's Idempotency-Key becomes the command's `command_id`, and a repeat of it is answered
with the first result. A key alone is not enough to say "this is a repeat": another caller who
learns or guesses it, or the same client by mistake for another action, would get the first
command's result and their own request would silently not happen. So the store remembers, with
the first result, the key's scope: the principal who sent it, the command type and a hash of the
request body. Only the same scope is a repeat; anything else is `idempotency-key-reused`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ishc_contracts import CommandEnvelope
from ishc_contracts.errors import DomainError


class IdempotencyKeyReused(DomainError):
    """The key was first used for a different request: nothing is run, nothing is revealed."""

    type = "idempotency-key-reused"
    title = "Idempotency-Key already used for another request"
    status = 422

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request (another caller, "
            "another command or another body); make a new key for each new action and reuse "
            "it only to retry that same action",
            field="Idempotency-Key",
        )


@dataclass(frozen=True)
class KeyScope:
    """What a key was first used for. The body hash covers the acting club and the payload,
    not the envelope's times or trace ids, which differ between honest retries."""

    principal: str
    command_type: str
    body_hash: str

    @classmethod
    def of(cls, command: CommandEnvelope) -> KeyScope:
        body = {
            "club_id": str(command.club_id) if command.club_id else None,
            "payload": command.payload,
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return cls(
            principal=command.actor.user_id,
            command_type=command.type,
            body_hash=hashlib.sha256(canonical.encode()).hexdigest(),
        )

    def check(self, stored: dict[str, Any]) -> None:
        """Raise unless `stored` (a `commands` row's scope) is this one. A row written before
        keys were scoped has no scope and is taken as a repeat, as it was then."""
        if stored.get("principal") is None:
            return
        if (stored["principal"], stored["command_type"], stored["body_hash"]) != (
            self.principal,
            self.command_type,
            self.body_hash,
        ):
            raise IdempotencyKeyReused
