"""Committed schema snapshots: no drift, and the rules for changing an event."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import pytest

from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.events import Event
from ishc_contracts.registry import EventRegistry
from ishc_contracts.snapshots import check, main, snapshot_path, write

pytestmark = pytest.mark.unit


def test_committed_snapshots_match_the_code() -> None:
    assert check(REGISTRY) == []


def test_the_command_line_check_passes() -> None:
    assert main(["--check"]) == 0


class Granted(Event):
    service: ClassVar[str] = "finance"
    aggregate: ClassVar[str] = "fund"

    amount: int
    reason: Literal["illness", "death"]


def registry_of(*models: type[Event]) -> EventRegistry:
    registry = EventRegistry()
    registry.register_all(models)
    return registry


def written(tmp_path: Path) -> Path:
    assert write(registry_of(Granted), tmp_path) == []
    return tmp_path


def test_an_event_without_a_snapshot_is_reported(tmp_path: Path) -> None:
    assert check(registry_of(Granted), tmp_path) == [
        "finance.Granted v1: no snapshot at finance/Granted.v1.json"
    ]


def test_written_snapshots_pass_the_check(tmp_path: Path) -> None:
    root = written(tmp_path)
    assert snapshot_path(Granted, 1, root).read_text(encoding="utf-8").endswith("}\n")
    assert check(registry_of(Granted), root) == []


def _granted_with_new_reason() -> type[Event]:
    class Granted(Event):  # same wire name, one more Literal value
        service: ClassVar[str] = "finance"
        aggregate: ClassVar[str] = "fund"

        amount: int
        reason: Literal["illness", "death", "disaster"]

    return Granted


def _granted_with_note() -> type[Event]:
    class Granted(Event):  # same wire name, one more optional field
        service: ClassVar[str] = "finance"
        aggregate: ClassVar[str] = "fund"

        amount: int
        reason: Literal["illness", "death"]
        note: str | None = None

    return Granted


def _granted_v2(*, upcaster: bool) -> EventRegistry:
    class Granted(Event):
        service: ClassVar[str] = "finance"
        aggregate: ClassVar[str] = "fund"
        schema_version: ClassVar[int] = 2

        amount: int
        reason: Literal["illness", "death", "disaster"]

    registry = registry_of(Granted)
    if upcaster:
        registry.upcaster("finance.Granted", 1)(lambda data: data)
    return registry


def test_an_incompatible_change_at_the_same_version_fails(tmp_path: Path) -> None:
    root = written(tmp_path)
    problems = check(registry_of(_granted_with_new_reason()), root)
    assert len(problems) == 1
    assert problems[0].startswith("finance.Granted v1: incompatible with its snapshot")
    assert "enum values added: 'disaster'" in problems[0]


def test_write_refuses_to_bless_an_incompatible_change(tmp_path: Path) -> None:
    root = written(tmp_path)
    before = snapshot_path(Granted, 1, root).read_text(encoding="utf-8")
    refused = write(registry_of(_granted_with_new_reason()), root)
    assert refused
    assert "enum values added" in refused[0]
    assert snapshot_path(Granted, 1, root).read_text(encoding="utf-8") == before


def test_a_compatible_change_asks_for_a_snapshot_refresh(tmp_path: Path) -> None:
    root = written(tmp_path)
    registry = registry_of(_granted_with_note())
    assert check(registry, root) == [
        "finance.Granted v1: snapshot out of date (compatible): --write"
    ]
    assert write(registry, root) == []
    assert check(registry, root) == []


def test_a_bumped_version_needs_an_upcaster(tmp_path: Path) -> None:
    root = written(tmp_path)
    registry = _granted_v2(upcaster=False)
    assert write(registry, root) == []
    assert check(registry, root) == ["finance.Granted: no upcaster from v1 to v2"]
    assert check(_granted_v2(upcaster=True), root) == []


def test_a_bumped_version_needs_the_previous_snapshot(tmp_path: Path) -> None:
    registry = _granted_v2(upcaster=True)
    assert write(registry, tmp_path) == []
    assert check(registry, tmp_path) == [
        "finance.Granted: v1 snapshot missing (it documents stored events)"
    ]


def test_a_snapshot_without_an_event_is_reported(tmp_path: Path) -> None:
    root = written(tmp_path)
    (root / "finance" / "Forgiven.v1.json").write_text("{}", encoding="utf-8")
    (root / "finance" / "Granted.v2.json").write_text("{}", encoding="utf-8")
    assert check(registry_of(Granted), root) == [
        "finance/Forgiven.v1.json: no registered event for this snapshot",
        "finance/Granted.v2.json: newer than the code's schema_version",
    ]
