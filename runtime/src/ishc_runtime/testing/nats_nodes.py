"""Real nats-server processes with a configuration of the test's own: a single node with a
given body (a permission file, say) or a three-node JetStream cluster, on loopback.

`ishc_runtime.infra.nats.EmbeddedNats` writes its own single-node config; the deployment
tests and the fault suite need other configs (deploy/'s permissions, cluster routes), so
they run the same binary (:func:`find_nats_server`) through :class:`NatsNode`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

from ishc_runtime.infra import find_nats_server, healthz_ok, poll_until, read_ports_file
from ishc_runtime.infra._net import LOOPBACK, free_port


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

    def url_with(self, user: str, password: str) -> str:
        return f"nats://{user}:{password}@{LOOPBACK}:{self.port}"

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
        self.process = subprocess.Popen(  # noqa: S603 - our binary, our config
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
        url = f"{self.monitor_url}{path}"  # http://127.0.0.1:<port>, built here
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
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


def start_cluster(workdir: Path, size: int = 3) -> list[NatsNode]:
    """`size` nats-server processes as one JetStream cluster (n1, n2, ...) on loopback.

    Route ports are fixed before start (each node must know its peers); client and monitoring
    ports are picked by the servers and kept across a node's restart.
    """
    route_ports = [free_port() for _ in range(size)]
    nodes = []
    for index in range(size):
        peers = [port for other, port in enumerate(route_ports) if other != index]
        name = f"n{index + 1}"
        home = workdir / name
        nodes.append(NatsNode(home, cluster_body(home, name, route_ports[index], peers)))
    try:
        for node in nodes:
            node.spawn()
        for node in nodes:
            node.wait_ready(timeout=30)
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes
