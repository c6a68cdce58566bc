"""The layering rules of `[tool.importlinter]` hold, and break when a forbidden import appears.

The rules are only worth having if `make check` fails on a violation: each case below copies
our packages, adds one forbidden import to the copy and runs the same checker on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    ROOT / "contracts" / "src",
    ROOT / "runtime" / "src",
    ROOT / "ops" / "src",
    ROOT / "simulator" / "src",
    *sorted((ROOT / "services").glob("*/src")),
]


def lint_imports(python_path: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, python_path))}
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "lint-imports"),
            str(ROOT / "pyproject.toml"),
            "--no-cache",
            "--no-logo",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
        check=False,
    )


def copy_of_our_packages(target: Path) -> list[Path]:
    copies = []
    for source in SOURCES:
        copy = target / source.parent.name / "src"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(copy)
    return copies


def test_the_tree_keeps_every_layering_contract(tmp_path: Path) -> None:
    result = lint_imports(SOURCES, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        (
            "contracts/src/ishc_contracts/leak.py",
            "import ishc_runtime.aggregates",
            "contracts import nothing of ours",
        ),
        (
            "runtime/src/ishc_runtime/leak.py",
            "import finance.domain.loan",
            "the runtime imports contracts only",
        ),
        (
            "finance/src/finance/domain/leak.py",
            "import ishc_runtime.aggregates",
            "a service's domain imports contracts only",
        ),
        (
            "advocacy/src/advocacy/domain/leak.py",
            "import advocacy.reference.calendar",
            "a service's domain imports contracts only",
        ),
        (
            "care/src/care/application/leak.py",
            "import finance.domain.loan",
            "services and edges never import each other",
        ),
        (
            "membership/src/membership/projections/leak.py",
            "import membership.domain.member",
            "projections import contracts and the runtime only",
        ),
        (
            "advocacy/src/advocacy/application/leak.py",
            "import ishc_runtime.testing.waiting",
            "production code never imports test support",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, forbidden_import: str, contract: str
) -> None:
    copies = copy_of_our_packages(tmp_path / "tree")
    (tmp_path / "tree" / module).write_text(f"{forbidden_import}\n")
    result = lint_imports(copies, tmp_path)
    assert result.returncode != 0, result.stdout
    # The report wraps long lines: compare with whitespace collapsed.
    assert f"{contract} BROKEN" in " ".join(result.stdout.split()), result.stdout
