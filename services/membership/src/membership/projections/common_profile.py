"""Turning a MemberProfileUpdated into column updates, shared by roster and profile."""

from __future__ import annotations

from typing import Any

from ishc_contracts import EventEnvelope
from ishc_contracts.membership.events import MemberProfileUpdated
from ishc_runtime.privacy import protect

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


def profile_changes(event: MemberProfileUpdated, env: EventEnvelope) -> dict[str, Any]:
    """Columns to set: given fields, and NULL for cleared ones (None means unchanged). The
    name is stored sealed (`protect`): the read models show it, queries open it."""
    changes: dict[str, Any] = {
        column: protect(env, name, getattr(event, name))
        if name == "full_name"
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
