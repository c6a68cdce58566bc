"""The running system for browser tests: the real services on embedded Postgres and NATS,
the gateway (with the dashboard) served by uvicorn on 127.0.0.1 at a free port, demo data,
and headless Debian Chromium driven by Playwright.

The services are started as in `tests/e2e/conftest.py` (the harness's definitions and stream
wipe); unlike there, the gateway listens on a real socket because a browser must reach it.
Screenshots go to `.ishc/artifacts/screenshots/` (gitignored).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import nats
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, async_playwright

from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from ..e2e.harness import E2E_SECRET, SERVICES, System, definition_of, wipe_service_streams
from .seed import Seeded, demo_seed, seed_club_a

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".ishc" / "artifacts" / "screenshots"


@dataclass
class Stack:
    url: str
    system: System
    seeded: Seeded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def stack(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    nats_url = infrastructure.nats_url
    databases = DatabaseFactory(infrastructure.postgres_dsn)
    await wipe_service_streams(nats_url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name in SERVICES:  # reporting included, last
                dsn = await databases.create(f"browser_{name}")
                await stack.enter_async_context(
                    Service(
                        definition_of(name), ServiceSettings(database_url=dsn, nats_url=nats_url)
                    )
                )
            settings = GatewaySettings(
                nats_url=nats_url,
                dev_mode=True,
                jwt_hs256_secret=E2E_SECRET,
                request_timeout_seconds=10,
            )
            port = _free_port()
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(settings), host="127.0.0.1", port=port, log_level="warning"
                )
            )
            serving = asyncio.create_task(server.serve())

            async def started() -> bool:
                assert not serving.done(), "uvicorn stopped"
                return server.started

            await wait_until(started, timeout=30, interval=0.05, message="uvicorn did not start")

            async def stop() -> None:
                server.should_exit = True
                await serving

            stack.push_async_callback(stop)
            url = f"http://127.0.0.1:{port}"
            nc = await nats.connect(nats_url, name="ishc-browser-seed", connect_timeout=5)
            stack.push_async_callback(nc.close)
            await demo_seed(nc)
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
            system = System(http=http, services={}, tokens={})
            seeded = await seed_club_a(system)
            yield Stack(url=url, system=system, seeded=seeded)
    finally:
        await wipe_service_streams(nats_url)
        await databases.drop_all()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
