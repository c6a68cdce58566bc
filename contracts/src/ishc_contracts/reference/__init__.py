"""Reference data as data: effective-dated code lists every service and the gateway share.

Each list is a JSON file in `data/` (schemes, offices, loan purposes, poverty standards,
disability levels): codes with labels, `valid_from`/`valid_to` and the legal basis, plus
`aliases` for wording clubs use that maps explicitly onto a code (a club's "moderate"
disability is the law's "mild"), and for offices `patterns` for codes made of admin-unit codes.
Laws and the administrative map change by date, so the lists are data with dates, never
enums in code; changing one is editing a file.

Commands name their coded fields (`Command.reference_fields`); validation refuses a code that
is not in the list, or not valid on the command's date, with a 422 naming the field and the
nearest valid codes (difflib), and replaces an alias by its code before anything else sees it.
Events are history and are never checked: a code retired since still loads.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

# A command's coded fields: field -> (list, the field giving the date the code must be valid
# on, or None for any date).
ReferenceFields = Mapping[str, tuple[str, str | None]]

DATA = files("ishc_contracts.reference").joinpath("data")
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    valid_from: date
    valid_to: date | None = None
    label_vi: str | None = None
    legal_basis: str | None = None
    aliases: tuple[str, ...] = ()

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return True
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "label_vi": self.label_vi,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": None if self.valid_to is None else self.valid_to.isoformat(),
            "legal_basis": self.legal_basis,
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True)
class Pattern:
    pattern: str
    label: str
    example: str

    def matches(self, code: str) -> bool:
        return re.fullmatch(self.pattern, code) is not None


@dataclass(frozen=True)
class ReferenceList:
    name: str
    description: str
    entries: tuple[Entry, ...]
    patterns: tuple[Pattern, ...] = field(default=())

    def canonical(self, code: str) -> str:
        """The code an alias stands for (the code itself otherwise)."""
        for entry in self.entries:
            if code in entry.aliases:
                return entry.code
        return code

    def accepts(self, code: str, on: date | None = None) -> bool:
        if any(p.matches(code) for p in self.patterns):
            return True
        return any(e.code == code and e.valid_on(on) for e in self.entries)

    def nearest(self, code: str, on: date | None = None) -> list[str]:
        """The valid codes (and aliases) closest to `code`, best first."""
        names = [n for e in self.entries if e.valid_on(on) for n in (e.code, *e.aliases)]
        close = difflib.get_close_matches(code, names, n=MAX_SUGGESTIONS, cutoff=0.5)
        return close or sorted(e.code for e in self.entries if e.valid_on(on))[:MAX_SUGGESTIONS]

    def refusal(self, code: str, on: date | None = None) -> str:
        """Why `code` is refused, with the nearest valid codes."""
        known = next((e for e in self.entries if e.code == code), None)
        if known is not None and on is not None:
            until = "" if known.valid_to is None else f" to {known.valid_to}"
            reason = f"{code!r} is valid from {known.valid_from}{until}, not on {on}"
        else:
            reason = f"{code!r} is not in the {self.name} list"
        hints = ", ".join(self.nearest(code, on))
        patterns = "".join(f"; or {p.label}, e.g. {p.example}" for p in self.patterns)
        return f"{reason}; nearest valid: {hints}{patterns} (GET /v1/reference/{self.name})"

    def as_json(self, on: date | None = None) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "on": None if on is None else on.isoformat(),
            "entries": [e.as_json() for e in self.entries if e.valid_on(on)],
            "patterns": [
                {"pattern": p.pattern, "label": p.label, "example": p.example}
                for p in self.patterns
            ],
        }


def _entry(raw: dict[str, Any]) -> Entry:
    return Entry(
        code=raw["code"],
        label=raw["label"],
        label_vi=raw.get("label_vi"),
        valid_from=date.fromisoformat(raw["valid_from"]),
        valid_to=date.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None,
        legal_basis=raw.get("legal_basis"),
        aliases=tuple(raw.get("aliases", ())),
    )


@cache
def lists() -> dict[str, ReferenceList]:
    """Every reference list by name, read once from the data files."""
    found: dict[str, ReferenceList] = {}
    for item in sorted(DATA.iterdir(), key=lambda f: f.name):
        if not item.name.endswith(".json"):
            continue
        raw = json.loads(item.read_text(encoding="utf-8"))
        found[raw["name"]] = ReferenceList(
            name=raw["name"],
            description=raw["description"],
            entries=tuple(_entry(e) for e in raw["entries"]),
            patterns=tuple(
                Pattern(p["pattern"], p["label"], p["example"]) for p in raw.get("patterns", ())
            ),
        )
    return found


def reference(name: str) -> ReferenceList:
    return lists()[name]


def with_valid_codes(fields: ReferenceFields, values: dict[str, Any]) -> dict[str, Any]:
    """`values` (a request body) with each coded field present set to the first code of its
    list valid on the body's date: for generated examples and test samples."""
    out = dict(values)
    for name, (listed, dated_by) in fields.items():
        if name not in out:
            continue
        when = out.get(dated_by) if dated_by else None
        day = date.fromisoformat(when) if isinstance(when, str) else None
        code = next(e.code for e in reference(listed).entries if e.valid_on(day))
        out[name] = [code] if isinstance(out[name], list) else code
    return out
