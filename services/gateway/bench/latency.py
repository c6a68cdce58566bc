"""Open-loop command latency through the whole gateway path, and read-your-writes lag.

    uv run python services/gateway/bench/latency.py [--rate 200] [--seconds 20]

Starts embedded Postgres and NATS (or uses ISHC_TEST_DATABASE_URL / ISHC_TEST_NATS_URL),
the runtime's sample service and the gateway (uvicorn, dev-mode HS256 tokens) as separate
processes, then sends `Deposit` commands at a fixed rate: each request's latency is measured
from its intended send time (no coordinated omission). Every command is authenticated,
authorised, carries an Idempotency-Key and is appended for real. Then, for a sample of
deposits, it asks the balance with the consistency token and records the lag until the
answer is fresh.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import nats

from gateway.auth import Principal, Role, mint_hs256
from gateway.settings import GatewaySettings
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_runtime.service.client import send_command
from ishc_runtime.testing.databases import DatabaseFactory
from ishc_runtime.testing.infrastructure import (
    choose_backends,
    docker_available,
    provide_infrastructure,
)

SERVICE = "benchsample"
# The dev-mode gateway's key, made afresh each run (dev mode refuses to run without one).
SECRET = secrets.token_urlsafe(32)

SERVICE_CODE = """
import asyncio, sys
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.testing.sample_service import sample_service
async def main():
    settings = ServiceSettings(database_url=sys.argv[1], nats_url=sys.argv[2], log_level="WARNING")
    async with Service(sample_service(sys.argv[3]), settings):
        await asyncio.Event().wait()
asyncio.run(main())
"""

GATEWAY_CODE = """
import sys, uvicorn
from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_runtime.testing.sample_service import Balance, Deposit, OpenAccount
settings = GatewaySettings(dev_mode=True, nats_url=sys.argv[1],  # the key: from the environment
                           services=(sys.argv[3],), club_directory=False)
app = create_app(settings, extra_commands={sys.argv[3]: (OpenAccount, Deposit)},
                 extra_queries={sys.argv[3]: (Balance,)})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rate: float, seconds: float, accounts: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="ishc-gw-bench-"))
    env = dict(os.environ)
    with provide_infrastructure(choose_backends(env, docker_available), env, workdir) as infra:
        dsn = await DatabaseFactory(infra.postgres_dsn).create("gateway_bench")
        port = free_port()
        procs = [
            subprocess.Popen(  # noqa: ASYNC220, S603 - our own interpreter, before measuring
                [sys.executable, "-c", SERVICE_CODE, dsn, infra.nats_url, SERVICE]
            ),
            subprocess.Popen(  # noqa: ASYNC220, S603
                [sys.executable, "-c", GATEWAY_CODE, infra.nats_url, str(port), SERVICE],
                env={**env, "GATEWAY_JWT_HS256_SECRET": SECRET},
            ),
        ]
        try:
            base = f"http://127.0.0.1:{port}"
            through_gateway = await measure(base, rate, seconds, accounts)
            http_floor = await healthz(base, rate, seconds)
            reference = await direct(infra.nats_url, rate, seconds)
            return {
                "gateway": through_gateway,
                "http_only_healthz": http_floor,
                "direct_nats_reference": reference,
            }
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)


async def direct(nats_url: str, rate: float, seconds: float) -> dict[str, Any]:
    """The reference chain without the gateway: NATS request/reply straight to the service."""
    nc = await nats.connect(nats_url)
    try:
        account = str(new_id())
        envelope = CommandEnvelope(
            command_id=new_id(),
            type="OpenAccount",
            actor=SYSTEM_ACTOR,
            payload={"account_id": account, "owner": "bench"},
        )
        await send_command(nc, SERVICE, envelope)
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        async def burst(duration: float, record: bool) -> None:
            start = loop.time() + 0.1

            async def one(n: int) -> None:
                intended = start + n / rate
                await asyncio.sleep(max(0.0, intended - loop.time()))
                reply = await send_command(
                    nc,
                    SERVICE,
                    CommandEnvelope(
                        command_id=new_id(),
                        type="Deposit",
                        actor=SYSTEM_ACTOR,
                        payload={"account_id": account, "amount": 1},
                    ),
                )
                if record:
                    latencies.append(loop.time() - intended)
                    status = 201 if reply.ok else (reply.problem.status if reply.problem else 0)
                    statuses[status] = statuses.get(status, 0) + 1

            await asyncio.gather(*(one(n) for n in range(int(rate * duration))))

        await burst(min(3.0, seconds), record=False)
        await burst(seconds, record=True)
    finally:
        await nc.close()
    return _summary(rate, seconds, int(rate * seconds), statuses, latencies, [], 0)


async def healthz(base: str, rate: float, seconds: float) -> dict[str, Any]:
    """The HTTP floor: the same client and server, `GET /healthz` (no auth, no bus)."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        for duration, record in ((min(3.0, seconds), False), (seconds, True)):
            start = loop.time() + 0.1

            async def one(n: int, start: float = start, record: bool = record) -> None:
                intended = start + n / rate
                await asyncio.sleep(max(0.0, intended - loop.time()))
                response = await http.get("/healthz")
                if record:
                    latencies.append(loop.time() - intended)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            await asyncio.gather(*(one(n) for n in range(int(rate * duration))))
    return _summary(rate, seconds, int(rate * seconds), statuses, latencies, [], 0)


async def measure(base: str, rate: float, seconds: float, accounts: int) -> dict[str, Any]:
    bearer = {"Authorization": f"Bearer {admin_token()}"}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("gateway not ready")
        ids = [str(new_id()) for _ in range(accounts)]
        for account in ids:
            opened = await http.post(
                f"/v1/{SERVICE}/commands/open-account",
                json={"account_id": account, "owner": "bench"},
                headers={**bearer, "Idempotency-Key": str(new_id())},
            )
            opened.raise_for_status()

        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        tokens: list[tuple[str, str]] = []
        # Warm up (connections, caches) at the same rate; not measured.
        await _open_loop(http, bearer, ids, rate, min(3.0, seconds), [], {}, [])
        total = int(rate * seconds)
        await _open_loop(http, bearer, ids, rate, seconds, latencies, statuses, tokens)

        lags: list[float] = []
        stale = 0
        for account, consistency in tokens[:50]:
            began = loop.time()
            read = await http.get(
                f"/v1/{SERVICE}/queries/balance",
                params={"account_id": account, "consistency": consistency},
                headers=bearer,
            )
            lags.append(loop.time() - began)
            stale += bool(read.json().get("stale"))
    return _summary(rate, seconds, total, statuses, latencies, lags, stale)


async def _open_loop(
    http: httpx.AsyncClient,
    bearer: dict[str, str],
    ids: list[str],
    rate: float,
    seconds: float,
    latencies: list[float],
    statuses: dict[int, int],
    tokens: list[tuple[str, str]],
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.1
    total = int(rate * seconds)

    async def one(n: int) -> None:
        intended = start + n / rate
        await asyncio.sleep(max(0.0, intended - loop.time()))
        account = ids[n % len(ids)]
        response = await http.post(
            f"/v1/{SERVICE}/commands/deposit",
            json={"account_id": account, "amount": 1},
            headers={**bearer, "Idempotency-Key": str(new_id())},
        )
        latencies.append(loop.time() - intended)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 201 and n % 20 == 0:
            tokens.append((account, response.headers["ISHC-Consistency"]))

    await asyncio.gather(*(one(n) for n in range(total)))


def _summary(
    rate: float,
    seconds: float,
    total: int,
    statuses: dict[int, int],
    latencies: list[float],
    lags: list[float],
    stale: int,
) -> dict[str, Any]:
    achieved = total / (max(latencies) + seconds) if latencies else 0.0
    ms = [x * 1000 for x in latencies]
    lag_ms = [x * 1000 for x in lags]
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "requests": total,
        "statuses": statuses,
        "latency_ms": {
            "p50": round(statistics.median(ms), 2),
            "p95": round(percentile(ms, 0.95), 2),
            "p99": round(percentile(ms, 0.99), 2),
            "max": round(max(ms), 2),
        },
        "approx_throughput_per_s": round(achieved, 1),
        "read_your_writes_ms": {
            "samples": len(lag_ms),
            "p50": round(statistics.median(lag_ms), 2) if lag_ms else None,
            "p99": round(percentile(lag_ms, 0.99), 2) if lag_ms else None,
            "stale": stale,
        },
    }


def admin_token() -> str:
    """A national admin's dev-mode token, as the gateway's `POST /v1/dev/tokens` would issue."""
    settings = GatewaySettings(dev_mode=True, jwt_hs256_secret=SECRET)
    admin = Principal(sub="bench-admin", role=Role.NATIONAL_ADMIN)
    return mint_hs256(
        SECRET,
        admin,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(hours=1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--accounts", type=int, default=50)
    args = parser.parse_args()
    result = asyncio.run(run(args.rate, args.seconds, args.accounts))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
