"""Turning a MemberProfileUpdated into column updates, shared by roster and profile."""

from __future__ import annotations

from typing import Any

from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import MemberProfileUpdated
from ishc_runtime.privacy import keep, keep_text

# event field -> column; only fields both read models hold.
COLUMNS = {
    "full_name": "full_name",
    "sex": "sex",
    "birth_date": "birth_date",
    "household_id": "household_id",
    "village": "village",
    "womens_union_member": "womens_union",
    "ethnic_minority": "ethnic_minority",
}


# Kept sealed in the read models (ADR 0051) as the event's own ciphertext, never opened
# here: the name as it is, the birth date and the ethnic-minority flag as text. Erasing the
# person makes them unreadable in the live read model and in any rebuild alike. Register
# handlers using `profile_changes` with `opens=PROFILE_OPENS`.
SEALED = {"full_name": keep, "birth_date": keep_text, "ethnic_minority": keep_text}
# The sensitive fields `profile_changes` reads in clear: none.
PROFILE_OPENS: frozenset[str] = frozenset()


def profile_changes(event: MemberProfileUpdated, env: EventEnvelope) -> dict[str, Any]:
    """Columns to set: given fields, and NULL for cleared ones (None means unchanged). The
    name and birth date are kept sealed (`keep`): the read models show them, queries open
    them; one whose key is destroyed counts as not given, as it would once opened."""
    changes: dict[str, Any] = {}
    for name, column in COLUMNS.items():
        if name in SEALED:
            value = SEALED[name](env, name) if holds_value(env, name) else None
        else:
            value = getattr(event, name)
        if value is not None:
            changes[column] = value
    for name in event.cleared:
        if name in COLUMNS:
            changes[COLUMNS[name]] = None
    return changes


def holds_value(env: EventEnvelope, field_name: str) -> bool:
    """Whether the event holds a value for `field_name`, sealed or not, without opening it
    (a value whose key is destroyed still counts: what it was stays unreadable)."""
    return env.data.get(field_name) is not None


def set_clause(changes: dict[str, Any], first_param: int) -> str:
    # Column names come from COLUMNS above, never from input.
    return ", ".join(f"{col} = ${first_param + n}" for n, col in enumerate(changes))
