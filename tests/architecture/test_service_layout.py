"""The four domain services have the one layout docs/services.md draws ("## Layout"), read
from that page: every entry not marked (optional) is present, and nothing else is there.

The page is the source: change the tree there and this test follows. The last cases copy a
service and break its copy, to show the check fails when a file strays from the tree.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "services.md"
SERVICES = ("membership", "finance", "care", "advocacy")
IGNORED = ("__pycache__",)


@dataclass
class Entry:
    name: str
    is_dir: bool
    optional: bool
    children: list[Entry] = field(default_factory=list)

    @property
    def is_pattern(self) -> bool:
        return "<" in self.name or "NNNN" in self.name

    def pattern(self, service: str) -> re.Pattern[str]:
        name = self.name.replace("<s>", service)
        parts = re.split(r"(<[^>]+>|NNNN)", name)
        regex = "".join(
            "[a-z0-9_]+" if p.startswith("<") else "[0-9]{4}" if p == "NNNN" else re.escape(p)
            for p in parts
        )
        return re.compile(regex)

    def child(self, name: str) -> Entry:
        return next(c for c in self.children if c.name == name)


def documented_tree(text: str) -> Entry:
    """The code block under "## Layout": one entry a line, two spaces a level, a description
    after two or more spaces; a line indented to the previous description continues it."""
    section = text.split("## Layout", 1)[1]
    block = section.split("```", 2)[1]
    root = Entry(name="", is_dir=True, optional=False)
    stack: list[tuple[int, Entry]] = [(-1, root)]
    description_at: int | None = None
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == description_at:
            continue
        name, _, description = line.strip().partition("  ")
        description = description.strip()
        description_at = line.index(description) if description else None
        entry = Entry(
            name=name.rstrip("/"),
            is_dir=name.endswith("/"),
            optional=description.startswith("(optional)"),
        )
        while stack[-1][0] >= indent:
            stack.pop()
        stack[-1][1].children.append(entry)
        stack.append((indent, entry))
    return root


def service_tree() -> Entry:
    return documented_tree(DOC.read_text()).child("services/<s>").child("src/<s>")


def departures(entry: Entry, directory: Path, service: str, at: str = "") -> list[str]:
    """Where `directory` departs from `entry`: strays, and required entries missing."""
    problems = []
    for path in sorted(directory.iterdir()):
        if path.name in IGNORED or path.suffix == ".pyc":
            continue
        candidates = [
            c
            for c in entry.children
            if c.is_dir == path.is_dir() and c.pattern(service).fullmatch(path.name)
        ]
        if not candidates:
            problems.append(f"{at}{path.name}{'/' if path.is_dir() else ''} is not in the tree")
            continue
        # A named entry wins over a pattern (commands/ over any directory).
        match = min(candidates, key=lambda c: c.is_pattern)
        if match.is_dir:
            problems += departures(match, path, service, f"{at}{path.name}/")
    for child in entry.children:
        if child.optional or child.is_pattern:
            continue
        name = child.name.replace("<s>", service)
        if not (directory / name).exists():
            problems.append(f"{at}{name}{'/' if child.is_dir else ''} is missing")
    return problems


def test_the_page_draws_the_application_layout() -> None:
    application = service_tree().child("application")
    required = {c.name for c in application.children if not c.optional}
    optional = {c.name for c in application.children if c.optional}
    assert required == {"__init__.py", "aggregates.py", "routes.py", "commands", "queries.py"}
    assert optional == {"facts.py", "timers.py", "reports.py", "reading.py", "reactions.py"}
    assert {c.name for c in application.child("commands").children} == {
        "__init__.py",
        "<topic>.py",
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_has_the_documented_layout(service: str) -> None:
    source = ROOT / "services" / service / "src" / service
    assert departures(service_tree(), source, service) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("application/handlers.py", "application/handlers.py is not in the tree"),
        ("application/helpers/__init__.py", "application/helpers/ is not in the tree"),
        ("domain/ports/__init__.py", "domain/ports/ is not in the tree"),
        ("projections/sql/extra.sql", "projections/sql/extra.sql is not in the tree"),
        ("-application/queries.py", "application/queries.py is missing"),
        ("-application/commands/__init__.py", "application/commands/__init__.py is missing"),
        ("-domain/rules.py", "domain/rules.py is missing"),
    ],
)
def test_a_copy_that_strays_from_the_tree_fails(tmp_path: Path, change: str, problem: str) -> None:
    copy = tmp_path / "care"
    shutil.copytree(ROOT / "services" / "care" / "src" / "care", copy)
    assert departures(service_tree(), copy, "care") == []
    if change.startswith("-"):
        (copy / change[1:]).unlink()
    else:
        (copy / change).parent.mkdir(parents=True, exist_ok=True)
        (copy / change).write_text("")
    assert problem in departures(service_tree(), copy, "care")
