"""The embedded Postgres runs as its own user: it must be able to reach its binaries and data
even when the checkout lives under a private (0700) directory, without being able to list it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ishc_runtime.infra.postgres import _grant_traverse

pytestmark = pytest.mark.unit


def test_every_ancestor_becomes_searchable_but_not_listable(tmp_path: Path) -> None:
    private = tmp_path / "home"
    target = private / "checkout" / ".venv" / "bin" / "postgres"
    target.parent.mkdir(parents=True)
    target.touch()
    for folder in (private, private / "checkout"):
        folder.chmod(0o700)

    _grant_traverse(target)

    for folder in target.parents:
        assert folder.stat().st_mode & stat.S_IXOTH, folder
    for folder in (private, private / "checkout"):
        assert not folder.stat().st_mode & stat.S_IROTH, f"{folder} became listable"
