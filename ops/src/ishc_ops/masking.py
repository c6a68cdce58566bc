"""Sensitive fields (contracts' `sensitive` marks) are masked unless the operator reveals."""

from __future__ import annotations

from typing import Any

from ishc_contracts import EventRegistry

MASK = "***"


def mask(registry: EventRegistry, wire_name: str, data: Any, reveal: bool) -> Any:
    if reveal or not isinstance(data, dict):
        return data
    hidden = registry.sensitive(wire_name)
    return {k: (MASK if k in hidden and v is not None else v) for k, v in data.items()}
