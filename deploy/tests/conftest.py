"""Real nats-server processes with deploy/'s own configuration, for the deployment tests.

`ishc_runtime.infra.nats.EmbeddedNats` writes its own single-node config; these tests need
the committed permission file and a three-node cluster, so they run the same binary
(:func:`find_nats_server`) with a config of their own, on loopback, in a temp dir.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from ishc_runtime.infra import find_nats_server, healthz_ok, poll_until, read_ports_file

DEPLOY = Path(__file__).resolve().parents[1]
NATS_DIR = DEPLOY / "nats"
LOOPBACK = "127.0.0.1"
USERS = ("membership", "finance", "care", "advocacy", "reporting", "gateway", "ops", "sys")


def password_for(user: str) -> str:
    return f"test-{user}-password"


def password_env() -> dict[str, str]:
    """The variables accounts.conf reads, with throwaway test values."""
    return {f"{user.upper()}_NATS_PASSWORD": password_for(user) for user in USERS}


def free_port() -> int:
    """A port free right now (cluster routes must be known before any node starts)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class NatsNode:
    """One nats-server process: `body` is its config minus the listen/http lines."""

    def __init__(self, workdir: Path, body: str, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.name = workdir.name
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.body = body
        self.env = env or {}
        self.port: int | None = None
        self.http_port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def url_for(self, user: str) -> str:
        return f"nats://{user}:{password_for(user)}@{LOOPBACK}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "nats-server.log"

    def spawn(self) -> None:
        """Start the process (not waiting: cluster nodes become healthy only together)."""
        ports_dir = self.workdir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for stale in ports_dir.glob("*.ports"):
            stale.unlink()
        config = self.workdir / "nats-server.conf"
        config.write_text(
            f"listen: {LOOPBACK}:{self.port or -1}\n"
            f"http: {LOOPBACK}:{self.http_port or -1}\n" + self.body
        )
        self._log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            [str(find_nats_server()), "--config", str(config), "--ports_file_dir", str(ports_dir)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Bounded poll (the runtime's): ports file written, then /healthz answers ok."""
        assert self.process is not None
        process = self.process
        ports_file = self.workdir / "ports" / f"nats-server_{process.pid}.ports"

        def alive() -> None:
            if process.poll() is not None:
                raise RuntimeError(f"nats-server exited:\n{self.log_tail()}")

        poll_until(
            lambda: self._ready(ports_file),
            deadline=time.monotonic() + timeout,
            check=alive,
            failure=lambda: RuntimeError(
                f"nats-server not ready in {timeout}s:\n{self.log_tail()}"
            ),
            interval=0.05,
        )

    def _ready(self, ports_file: Path) -> bool:
        ports = read_ports_file(ports_file)
        if ports is None:
            return False
        self.port, self.http_port = ports
        return healthz_ok(self.monitor_url)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.monitor_url}{path}", timeout=2) as response:
            return json.load(response)

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL: no flush, no goodbye, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self._forget()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._forget()

    def _forget(self) -> None:
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"


@pytest.fixture
def nats_workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ishc-deploy-nats-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def secured_nats(nats_workdir: Path) -> Iterator[NatsNode]:
    """One server with the committed deploy/nats/accounts.conf, byte for byte."""
    shutil.copy(NATS_DIR / "accounts.conf", nats_workdir / "accounts.conf")
    store = json.dumps(str(nats_workdir / "jetstream"))
    body = (
        f"jetstream {{\n  store_dir: {store}\n  sync_interval: always\n}}\n"
        "include ./accounts.conf\n"
    )
    node = NatsNode(nats_workdir, body, password_env())
    node.start()
    try:
        yield node
    finally:
        node.stop()


def cluster_body(workdir: Path, name: str, route_port: int, peers: list[int]) -> str:
    """A cluster node as in deploy/nats/nats.conf, minus TLS and auth, on loopback."""
    store = json.dumps(str(workdir / "jetstream"))
    routes = "\n".join(f'    "nats-route://{LOOPBACK}:{port}"' for port in peers)
    return (
        f"server_name: {name}\n"
        f"jetstream {{\n  store_dir: {store}\n  sync_interval: always\n}}\n"
        "cluster {\n"
        "  name: ishc-test\n"
        f"  listen: {LOOPBACK}:{route_port}\n"
        f"  routes: [\n{routes}\n  ]\n"
        "}\n"
    )


@pytest.fixture
def nats_cluster(nats_workdir: Path) -> Iterator[list[NatsNode]]:
    """Three nats-server processes as one JetStream cluster (n1, n2, n3) on loopback.

    Route ports are fixed before start (each node must know its peers); client and monitoring
    ports are picked by the servers and kept across a node's restart.
    """
    route_ports = [free_port() for _ in range(3)]
    nodes = []
    for index in range(3):
        peers = [port for other, port in enumerate(route_ports) if other != index]
        name = f"n{index + 1}"
        workdir = nats_workdir / name
        nodes.append(NatsNode(workdir, cluster_body(workdir, name, route_ports[index], peers)))
    try:
        for node in nodes:
            node.spawn()
        for node in nodes:
            node.wait_ready(timeout=30)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
