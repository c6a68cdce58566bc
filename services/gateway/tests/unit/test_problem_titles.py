"""Every problem a service can answer has a title in both languages: the dashboard shows the
Vietnamese one to a secretary, never a service's English."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

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
