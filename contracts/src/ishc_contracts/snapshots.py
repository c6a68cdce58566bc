"""Committed JSON Schema snapshots: `contracts/schemas/<service>/<EventType>.v<N>.json`.

    python -m ishc_contracts.snapshots --check   # CI: exit 1 on any drift, listing it
    python -m ishc_contracts.snapshots --write   # after a reviewed change; refuses breaking ones

A snapshot is what consumers were promised for one (event, version). `--check` fails when
the code no longer matches it: incompatibly (bump `schema_version`, add an upcaster) or
compatibly (run `--write` so the next change is compared with what is really deployed).
Snapshots of earlier versions stay forever: they document what stored events look like.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.compat import check_compatible
from ishc_contracts.events import Event
from ishc_contracts.registry import EventRegistry

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
_FILE = re.compile(r"^(?P<type>[A-Za-z0-9_]+)\.v(?P<version>[1-9][0-9]*)\.json$")


def event_schema(model: type[Event]) -> dict[str, Any]:
    """The model's JSON Schema, labelled with its wire name, version and subject."""
    schema = model.model_json_schema()
    schema["x-wire-name"] = model.wire_name()
    schema["x-schema-version"] = model.schema_version
    schema["x-subject"] = model.subject()
    return schema


def render(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, UTF-8 kept readable, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def snapshot_path(model: type[Event], version: int, root: Path = SCHEMAS_DIR) -> Path:
    return root / model.service / f"{model.event_type()}.v{version}.json"


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def check(registry: EventRegistry, root: Path = SCHEMAS_DIR) -> list[str]:
    """Every way the code and the committed snapshots disagree (empty when they agree)."""
    problems: list[str] = []
    for model in registry.models():
        name, current = model.wire_name(), model.schema_version
        path = snapshot_path(model, current, root)
        if not path.exists():
            problems.append(f"{name} v{current}: no snapshot at {path.relative_to(root)}")
        else:
            committed = _load(path)
            schema = event_schema(model)
            if issues := check_compatible(committed, schema):
                problems.append(
                    f"{name} v{current}: incompatible with its snapshot (bump schema_version "
                    "and add an upcaster): " + "; ".join(issues)
                )
            elif render(committed) != render(schema):
                problems.append(f"{name} v{current}: snapshot out of date (compatible): --write")
        for older in range(1, current):
            if not snapshot_path(model, older, root).exists():
                problems.append(f"{name}: v{older} snapshot missing (it documents stored events)")
            if not registry.has_upcaster(name, older):
                problems.append(f"{name}: no upcaster from v{older} to v{older + 1}")
    problems.extend(_orphans(registry, root))
    return problems


def _orphans(registry: EventRegistry, root: Path) -> list[str]:
    """Snapshots nothing in the code answers for: a renamed or deleted event (wire names never
    change; stored events of that type could no longer be read) or a lowered version."""
    problems = []
    for path in sorted(root.glob("*/*.json")):
        match = _FILE.match(path.name)
        wire_name = f"{path.parent.name}.{match['type']}" if match else ""
        if not match or not registry.knows(wire_name):
            problems.append(f"{path.relative_to(root)}: no registered event for this snapshot")
        elif int(match["version"]) > registry.model(wire_name).schema_version:
            problems.append(f"{path.relative_to(root)}: newer than the code's schema_version")
    return problems


def write(registry: EventRegistry, root: Path = SCHEMAS_DIR, *, force: bool = False) -> list[str]:
    """Write missing or compatibly changed snapshots. Incompatible ones are refused (listed)
    unless `force`, so `--write` cannot quietly bless a breaking change."""
    refused: list[str] = []
    for model in registry.models():
        path = snapshot_path(model, model.schema_version, root)
        schema = event_schema(model)
        if path.exists() and not force:
            issues = check_compatible(_load(path), schema)
            if issues:
                refused.append(f"{model.wire_name()} v{model.schema_version}: " + "; ".join(issues))
                continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ishc_contracts.snapshots")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare code with snapshots")
    mode.add_argument("--write", action="store_true", help="write new/compatible snapshots")
    parser.add_argument("--force", action="store_true", help="with --write: overwrite breaking")
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help="snapshot directory")
    args = parser.parse_args(argv)
    problems = (
        check(REGISTRY, args.dir) if args.check else write(REGISTRY, args.dir, force=args.force)
    )
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
