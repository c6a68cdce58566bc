"""Turning a MemberProfileUpdated into column updates, shared by roster and profile."""

from __future__ import annotations

from typing import Any

from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import MemberProfileUpdated
from ishc_runtime.privacy import protect, protect_text

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


# Kept sealed in the read models (ADR 0051): the name as it is, the birth date as text.
SEALED = {"full_name": protect, "birth_date": protect_text}


def profile_changes(event: MemberProfileUpdated, env: EventEnvelope) -> dict[str, Any]:
    """Columns to set: given fields, and NULL for cleared ones (None means unchanged). The
    name is stored sealed (`protect`): the read models show it, queries open it."""
    changes: dict[str, Any] = {
        column: SEALED[name](env, name, getattr(event, name))
        if name in SEALED
        else getattr(event, name)
        for name, column in COLUMNS.items()
        if getattr(event, name) is not None
    }
    for name in event.cleared:
        if name in COLUMNS:
            changes[COLUMNS[name]] = None
    return changes


def set_clause(changes: dict[str, Any], first_param: int) -> str:
    # Column names come from COLUMNS above, never from input.
    return ", ".join(f"{col} = ${first_param + n}" for n, col in enumerate(changes))
