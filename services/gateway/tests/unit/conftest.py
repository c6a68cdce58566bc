from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.testing import EXTRA_COMMANDS, EXTRA_QUERIES, FakeBus, dev_settings


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def client(bus: FakeBus) -> Iterator[TestClient]:
    app = create_app(
        dev_settings(), bus=bus, extra_commands=EXTRA_COMMANDS, extra_queries=EXTRA_QUERIES
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
