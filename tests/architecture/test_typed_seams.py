"""The runtime's public signatures are typed: `Any` appears only where `ALLOWED` says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.public_any import ALLOWED, public_signatures_with_any

pytestmark = pytest.mark.unit


def test_every_public_any_left_in_the_runtime_is_explained() -> None:
    assert set(public_signatures_with_any()) == set(ALLOWED)


def test_a_new_untyped_public_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "ishc_runtime"
    package.mkdir()
    (package / "seam.py").write_text(
        "from typing import Any\n"
        "def handle(payload: Any) -> None: ...\n"
        "def fold(state: dict[str, Any]) -> dict[str, Any]: ...\n"
        "def _private(x: Any) -> Any: ...\n"
    )

    assert public_signatures_with_any(package) == ["ishc_runtime.seam.handle"]
