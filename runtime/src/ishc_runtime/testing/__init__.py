"""Test infrastructure: real Postgres and NATS JetStream, isolated per test.

The pytest fixtures live in :mod:`ishc_runtime.testing.plugin` (registered by the root
``conftest.py``); this package also exports the plain helpers for use outside fixtures.
"""

from ishc_runtime.testing.databases import DatabaseFactory, database_name, with_database
from ishc_runtime.testing.infrastructure import (
    Backend,
    BackendChoice,
    Infrastructure,
    choose_backends,
    docker_available,
    provide_infrastructure,
)
from ishc_runtime.testing.jetstream import delete_streams_containing, unique_token
from ishc_runtime.testing.waiting import wait_until

__all__ = [
    "Backend",
    "BackendChoice",
    "DatabaseFactory",
    "Infrastructure",
    "choose_backends",
    "database_name",
    "delete_streams_containing",
    "docker_available",
    "provide_infrastructure",
    "unique_token",
    "wait_until",
    "with_database",
]
