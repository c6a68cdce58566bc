from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from gateway.app import create_app

from ..support import EXTRA_COMMANDS, EXTRA_QUERIES, FakeBus, dev_settings

# Building the app costs about a second (FastAPI prepares some 100 routes), so a test module
# shares one app and one fake bus, and each test starts with the bus and the cookies reset.


@pytest.fixture(scope="module")
def module_bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def bus(module_bus: FakeBus) -> FakeBus:
    module_bus.reset()
    return module_bus


@pytest.fixture(scope="module")
def module_client(module_bus: FakeBus) -> Iterator[TestClient]:
    app = create_app(
        dev_settings(), bus=module_bus, extra_commands=EXTRA_COMMANDS, extra_queries=EXTRA_QUERIES
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(module_client: TestClient, bus: FakeBus) -> TestClient:
    module_client.cookies.clear()
    return module_client


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """The identity provider's signing key (RS256), for production-mode tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
