"""Upcasters for membership events: (wire name, from_version) -> function lifting a payload one
version. Empty while every membership event is at v1; see contracts/README.md before adding one."""

from __future__ import annotations

from ishc_contracts.registry import Upcaster

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
