"""The real OS processes of a fault run: Postgres, NATS and the services, each signalled by pid.

Postgres and NATS come from the same wheels as everywhere else (`ishc_runtime.infra`), on
loopback ports chosen here and kept across restarts, in a temp dir of the test module's own.
A service is `python -m <service>` with its settings in the environment, as in a container.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import httpx
import psutil  # type: ignore[import-untyped]

from ishc_runtime.infra import EmbeddedNats, EmbeddedPostgres
from ishc_runtime.infra._net import free_port

PREFIXES = {
    "membership": "MEMBERSHIP",
    "finance": "FINANCE",
    "care": "CARE",
    "advocacy": "ADVOCACY",
    "reporting": "REPORTING",
}
CLOCK_DIR = Path(__file__).parent / "clock"


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant, as an OOM kill of its container would."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    family = [root, *root.children(recursive=True)]
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(family, timeout=30)


class Postgres:
    """One PostgreSQL server (all the services' databases) that can be crashed and restarted
    on the same data directory and port."""

    def __init__(self, data_dir: Path, *, max_connections: int = 250) -> None:
        self.port = free_port()
        self.server = EmbeddedPostgres(
            data_dir, port=self.port, settings={"max_connections": str(max_connections)}
        )
        self.max_connections = max_connections

    def start(self) -> None:
        self.server.start()

    @property
    def pid(self) -> int:
        """The postmaster's pid, from its pid file."""
        return int((self.server.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def kill(self) -> None:
        """kill -9 of the postmaster and its backends: no checkpoint, recovery at next start."""
        _kill_tree(self.pid)
        self.server.stop("immediate")  # only forgets the dead server

    def stop(self) -> None:
        self.server.stop("fast")


class Nats:
    """One nats-server (`sync_interval: always`) on fixed ports and store across restarts."""

    def __init__(self, store_dir: Path) -> None:
        self.server = EmbeddedNats(store_dir)

    def start(self) -> None:
        self.server.start()

    @property
    def pid(self) -> int:
        return self.server.pid

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def urls(self) -> list[str]:
        return [self.server.url]

    def kill(self) -> None:
        self.server.kill()

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, RuntimeError):
            self.resume()
        self.server.stop()


class ServiceProcess:
    """One instance of a service: `python -m <service>`, its own health port and log file."""

    def __init__(
        self,
        service: str,
        index: int,
        workdir: Path,
        settings: Mapping[str, str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.service = service
        self.index = index
        self.instance_id = f"{service}-{index}"
        self.health_port = free_port()
        self.log_file = workdir / f"{self.instance_id}.log"
        self._settings = dict(settings)  # without the service's prefix
        self._env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.paused = False

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        prefix = PREFIXES[self.service]
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ISHC_", "PG", *(f"{p}_" for p in PREFIXES.values())))
        }
        env.update(
            {
                f"{prefix}_{name}": value
                for name, value in {
                    **self._settings,
                    "HEALTH_PORT": str(self.health_port),
                    "INSTANCE_ID": self.instance_id,
                }.items()
            }
        )
        # A process-wide clock offset the harness can move (the scheduler's clock jump).
        env["PYTHONPATH"] = os.pathsep.join(
            [str(CLOCK_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        env.update(self._env)
        env.update(extra or {})
        return env

    def start(self, extra_env: Mapping[str, str] | None = None) -> None:
        self._log = self.log_file.open("ab")
        self._log.write(f"--- start {time.strftime('%H:%M:%S')} {extra_env or ''}\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            [sys.executable, "-m", self.service],
            env=self.environment(extra_env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.paused = False

    @property
    def pid(self) -> int:
        assert self._process is not None, f"{self.instance_id} never started"
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to Postgres or NATS."""
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
        self.wait_exited()

    def wait_exited(self, timeout: float = 30) -> None:
        if self._process is not None:
            self._process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.paused = False

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        if self.alive:
            if self.paused:
                self.resume()
            os.kill(self.pid, signal.SIGTERM)
            try:
                self._process.wait(20)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
        self.wait_exited()

    def client_ports(self) -> set[int]:
        """Local TCP ports of this process's connections (to tell its Postgres sessions)."""
        try:
            connections = psutil.Process(self.pid).net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            return set()
        return {c.laddr.port for c in connections if c.raddr}

    async def readiness(self, http: httpx.AsyncClient) -> dict[str, object] | None:
        """The /readyz body when it answers 200, else None."""
        if not self.alive or self.paused:
            return None
        try:
            response = await http.get(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        body: dict[str, object] = response.json()
        return body

    async def why_not_ready(self, http: httpx.AsyncClient) -> str:
        """What /readyz says (or that it does not answer), for a failure message."""
        if not self.alive or self.paused:
            return "dead" if not self.alive else "paused"
        try:
            response = await http.get(f"http://127.0.0.1:{self.health_port}/readyz", timeout=2)
        except httpx.HTTPError as error:
            return f"/readyz: {error!r}"
        return f"/readyz {response.status_code}: {response.text}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no log>"
