"""Real nats-server processes with deploy/'s own configuration, for the deployment tests.

`ishc_runtime.infra.nats.EmbeddedNats` writes its own single-node config; these tests need
the committed permission file and a three-node cluster, so they run the same binary through
`ishc_runtime.testing.nats_nodes` with a config of their own, on loopback, in a temp dir.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ishc_runtime.testing.nats_nodes import NatsNode, start_cluster

DEPLOY = Path(__file__).resolve().parents[1]
NATS_DIR = DEPLOY / "nats"
LOOPBACK = "127.0.0.1"
USERS = ("membership", "finance", "care", "advocacy", "reporting", "gateway", "ops", "sys")


def password_for(user: str) -> str:
    return f"test-{user}-password"


def password_env() -> dict[str, str]:
    """The variables accounts.conf reads, with throwaway test values."""
    return {f"{user.upper()}_NATS_PASSWORD": password_for(user) for user in USERS}


class SecuredNode(NatsNode):
    """A node with deploy/'s accounts: each service user connects with its test password."""

    def url_for(self, user: str) -> str:
        return self.url_with(user, password_for(user))


@pytest.fixture
def nats_workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ishc-deploy-nats-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def secured_nats(nats_workdir: Path) -> Iterator[SecuredNode]:
    """One server with the committed deploy/nats/accounts.conf, byte for byte."""
    shutil.copy(NATS_DIR / "accounts.conf", nats_workdir / "accounts.conf")
    store = json.dumps(str(nats_workdir / "jetstream"))
    body = (
        f"jetstream {{\n  store_dir: {store}\n  sync_interval: always\n}}\n"
        "include ./accounts.conf\n"
    )
    node = SecuredNode(nats_workdir, body, password_env())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def nats_cluster(nats_workdir: Path) -> Iterator[list[NatsNode]]:
    """Three nats-server processes as one JetStream cluster (n1, n2, n3) on loopback."""
    nodes = start_cluster(nats_workdir)
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()
