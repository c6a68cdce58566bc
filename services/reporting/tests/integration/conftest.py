"""Fixtures of reporting's integration tests: the reporting service over real NATS and
Postgres (`reporting`), stand-ins for the four services (`feeds`), and the hand-built scenario
loaded through them (`loaded`; a module may load its own instead)."""

from __future__ import annotations

import pytest

from ishc_runtime.service import Service

from . import scenario
from .helpers import Feed, caught_up, feeds, reporting

__all__ = ["feeds", "loaded", "reporting"]


@pytest.fixture
async def loaded(reporting: Service, feeds: dict[str, Feed]) -> Service:
    await scenario.publish_all(feeds)
    await caught_up(reporting, feeds)
    return reporting
