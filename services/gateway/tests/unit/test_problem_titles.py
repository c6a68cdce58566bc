"""Every problem a service can answer has a title in both languages: the dashboard shows the
Vietnamese one to a secretary, never a service's English."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.problems import TITLES
from ishc_contracts.errors import DomainError

pytestmark = pytest.mark.unit

PACKAGES = ("ishc_contracts", "ishc_runtime", "membership", "finance", "care", "advocacy")


def _import_all() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".testing" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_domain_error_type_has_an_english_and_a_vietnamese_title() -> None:
    _import_all()
    types = {sub.type for sub in _subclasses(DomainError)}
    assert {"consent-required", "care-case-not-found", "before-previous-step"} <= types
    missing = sorted(t for t in types if set(TITLES.get(t, {})) != {"en", "vi"})
    assert missing == []


def test_every_problem_the_runtime_answers_has_an_english_and_a_vietnamese_title() -> None:
    """Problems the runtime's dispatch makes itself (an erased person, a conflict, a request
    not sealed), read from its source: a new one without titles fails here."""
    runtime = Path(importlib.import_module("ishc_runtime.service").__path__[0])
    made = {
        found
        for module in runtime.glob("*.py")
        for found in re.findall(r'Problem\(\s*type="([a-z-]+)"', module.read_text())
    }
    assert {"subject-erased", "conflict"} <= made
    missing = sorted(t for t in made if set(TITLES.get(t, {})) != {"en", "vi"})
    assert missing == []
