"""The processes the gateway benchmark measures, one role per process:

    python -m bench.gateway_targets baseline DSN PORT
    python -m bench.gateway_targets chain-api NATS_URL SUBJECT PORT
    python -m bench.gateway_targets chain-worker DSN NATS_URL SUBJECT
    python -m bench.gateway_targets services NATS_URL DSNS_JSON
    python -m bench.gateway_targets service NAME NATS_URL DSN
    python -m bench.gateway_targets gateway NATS_URL PORT

`baseline` is a plain FastAPI + asyncpg INSERT endpoint; `chain-api` + `chain-worker` the
minimal chain FastAPI → NATS request/reply → FastStream → asyncpg (the same INSERT);
`services` the four real services (membership, finance, care, advocacy) in one process, as
`deploy/local/run.py` runs them, or `service` one of them alone, as in its own pod; `gateway`
the real gateway app in dev mode. Every HTTP
server is uvicorn with one worker on 127.0.0.1, access log off. Each process runs until
SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import nats
import uvicorn
from fastapi import FastAPI, HTTPException
from faststream.nats import NatsBroker, NatsMessage
from pydantic import BaseModel, Field

SERVICES = ("membership", "finance", "care", "advocacy")
# A directory: SIGUSR1 starts a pyinstrument profile of this process, SIGUSR2 writes it there.
PROFILE_ENV = "ISHC_BENCH_PROFILE_DIR"
# "cprofile": deterministic CPU profiles (`bench.gateway_cpu`) instead of pyinstrument's
# sampled wall time, written as `cpu_<role>.txt`.
PROFILER_ENV = "ISHC_BENCH_PROFILER"
# The dev-mode gateway's key: the bench mints its tokens with it (`gateway_system`).
BENCH_SECRET = "bench-only-hs256-secret-0123456789abcdef0123456789"

# What the raw targets store: the same row for baseline and chain.
ITEMS_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_items ("
    " id uuid PRIMARY KEY, amount bigint NOT NULL, note text NOT NULL,"
    " created_at timestamptz NOT NULL DEFAULT now())"
)
INSERT_ITEM = "INSERT INTO bench_items (id, amount, note) VALUES ($1, $2, $3)"


class Item(BaseModel):
    id: UUID
    amount: int = Field(gt=0)
    note: str = Field(max_length=200)


def _serve(app: FastAPI, port: int, *, profile_as: str | None = None) -> None:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)

    async def serve() -> None:
        if profile_as is not None:
            _profile_on_signal(profile_as)
        await uvicorn.Server(config).serve()

    asyncio.run(serve())


def _profile_on_signal(name: str) -> None:
    """With PROFILE_ENV set: profile between SIGUSR1 and SIGUSR2 (only the phase the load
    generator chooses, not start-up), then write `<name>.txt` and `<name>.summary.txt`."""
    directory = os.environ.get(PROFILE_ENV)
    if not directory:
        return
    if os.environ.get(PROFILER_ENV) == "cprofile":
        _cprofile_on_signal(Path(directory) / f"cpu_{name.removeprefix('gateway_')}.txt")
        return
    from pyinstrument import Profiler  # noqa: PLC0415 - a dev tool, only when asked

    from bench.hotspots import summarise  # noqa: PLC0415

    running: list[Profiler] = []

    def start() -> None:
        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
        running.append(profiler)

    def stop() -> None:
        if not running:
            return
        profiler = running.pop()
        session = profiler.stop()
        out = Path(directory)
        (out / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
        (out / f"{name}.summary.txt").write_text(summarise(session))

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, start)
    loop.add_signal_handler(signal.SIGUSR2, stop)


def _cprofile_on_signal(path: Path) -> None:
    """cProfile between SIGUSR1 and SIGUSR2: the event loop's thread, CPU time by function
    (its own and with callees), top 60 of each."""
    import cProfile  # noqa: PLC0415 - a dev tool, only when asked
    import io  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    profiler = cProfile.Profile(time.process_time)

    def stop() -> None:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(60)
        stats.sort_stats("cumulative").print_stats(80)
        path.write_text(out.getvalue())

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
    loop.add_signal_handler(signal.SIGUSR2, stop)


def baseline_app(dsn: str) -> FastAPI:
    pool: dict[str, asyncpg.Pool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool["db"] = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        try:
            yield
        finally:
            await pool["db"].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/items", status_code=201)
    async def create(item: Item) -> dict[str, str]:
        await pool["db"].execute(INSERT_ITEM, item.id, item.amount, item.note)
        return {"id": str(item.id)}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def chain_api_app(nats_url: str, subject: str) -> FastAPI:
    client: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        client["nc"] = await nats.connect(nats_url, name="bench-chain-api")
        try:
            yield
        finally:
            await client["nc"].drain()

    app = FastAPI(lifespan=lifespan)

    @app.post("/items", status_code=201)
    async def create(item: Item) -> dict[str, Any]:
        try:
            reply = await client["nc"].request(subject, item.model_dump_json().encode(), timeout=5)
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as error:
            raise HTTPException(503, "worker did not answer") from error
        answer: dict[str, Any] = json.loads(reply.data)
        if not answer.get("ok"):
            raise HTTPException(500, "worker failed")
        return answer

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def chain_worker(dsn: str, nats_url: str, subject: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
    broker = NatsBroker(nats_url, logger=None)

    # Raw message, as the runtime's services subscribe: the reply is the returned bytes.
    async def on_item(msg: NatsMessage) -> bytes:
        item = Item.model_validate_json(msg.body)
        await pool.execute(INSERT_ITEM, item.id, item.amount, item.note)
        return json.dumps({"ok": True, "id": str(item.id)}).encode()

    broker.subscriber(subject, queue="bench")(on_item)
    await broker.start()
    try:
        await _until_terminated()
    finally:
        await broker.stop()
        await pool.close()


async def services(nats_url: str, dsns: dict[str, str], profile_as: str) -> None:
    from ishc_runtime.observability.logging import configure_logging  # noqa: PLC0415
    from ishc_runtime.service import Service, ServiceDefinition, ServiceSettings  # noqa: PLC0415

    configure_logging("ishc", json=False, level="WARNING")
    _profile_on_signal(profile_as)
    async with contextlib.AsyncExitStack() as stack:
        for name, dsn in dsns.items():
            module = importlib.import_module(f"{name}.definition")
            definition: ServiceDefinition = module.definition()
            settings = ServiceSettings(
                database_url=dsn, nats_url=nats_url, log_json=False, log_level="WARNING"
            )
            await stack.enter_async_context(Service(definition, settings))
        await _until_terminated()


def gateway(nats_url: str, port: int) -> None:
    from gateway.app import create_app  # noqa: PLC0415
    from gateway.settings import GatewaySettings  # noqa: PLC0415
    from ishc_runtime.observability.logging import configure_logging  # noqa: PLC0415

    configure_logging("ishc", json=False, level="WARNING")
    settings = GatewaySettings(nats_url=nats_url, dev_mode=True, jwt_hs256_secret=BENCH_SECRET)
    _serve(create_app(settings), port, profile_as="gateway_http")


async def _until_terminated() -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()


def main(argv: list[str]) -> None:
    role, args = argv[0], argv[1:]
    if role == "baseline":
        _serve(baseline_app(args[0]), int(args[1]))
    elif role == "chain-api":
        _serve(chain_api_app(args[0], args[1]), int(args[2]))
    elif role == "chain-worker":
        asyncio.run(chain_worker(args[0], args[1], args[2]))
    elif role == "services":
        asyncio.run(services(args[0], json.loads(args[1]), "gateway_services"))
    elif role == "service":
        asyncio.run(services(args[1], {args[0]: args[2]}, f"gateway_svc_{args[0]}"))
    elif role == "gateway":
        gateway(args[0], int(args[1]))
    else:
        msg = f"unknown role {role!r}"
        raise SystemExit(msg)


if __name__ == "__main__":
    main(sys.argv[1:])
