"""Starting, preparing and stopping what the gateway benchmark measures.

Every target role runs in its own process (`bench.gateway_targets`); this module starts
them against the run's Postgres and NATS, waits until each answers, prepares the care cases
the gateway's commands act on, and stops them all on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from bench.gateway_targets import BENCH_SECRET, ITEMS_TABLE, SERVICES
from bench.infra import Servers, token
from gateway.auth import DEMO_CLUB_A, Principal, Role, mint_hs256
from gateway.settings import GatewaySettings
from ishc_contracts import new_id
from ishc_runtime.clock import SystemClock, vn_date

CLUB = DEMO_CLUB_A
READY_TIMEOUT = 120.0  # four services migrating their databases on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def secretary_token() -> str:
    """A dev-mode HS256 bearer token for the secretary of the demo club, as the gateway's
    `POST /v1/dev/tokens` would issue it (same secret, issuer and audience defaults)."""
    return _token(Principal(sub="bench-secretary", role=Role.CLUB_SECRETARY, club_ids={CLUB}))


def admin_token() -> str:
    """The same for a national admin (who establishes the demo club)."""
    return _token(Principal(sub="bench-admin", role=Role.NATIONAL_ADMIN))


def _token(principal: Principal) -> str:
    settings = GatewaySettings(dev_mode=True, jwt_hs256_secret=BENCH_SECRET)
    return mint_hs256(
        BENCH_SECRET,
        principal,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(hours=3),
    )


@dataclass
class System:
    """The running targets: where each listens and which process plays which role."""

    baseline_url: str
    chain_url: str
    gateway_url: str
    dsns: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cases: list[UUID] = field(default_factory=list)

    def pids(self) -> dict[str, int]:
        return {role: proc.pid for role, proc in self.processes.items()}


@contextlib.asynccontextmanager
async def running(srv: Servers, logs: Path, *, services_together: bool) -> AsyncIterator[System]:
    """Start baseline, chain (api + worker), the four services (one process each, or all in
    one with `services_together`) and the gateway, each logging
    into the existing directory `logs`; stop them (SIGTERM, then SIGKILL after 15 s) on exit."""
    dsns = {name: await srv.database(name) for name in ("baseline", "chain", *SERVICES)}
    for name in ("baseline", "chain"):
        conn = await asyncpg.connect(dsns[name])
        try:
            await conn.execute(ITEMS_TABLE)
        finally:
            await conn.close()
    ports = {name: free_port() for name in ("baseline", "chain", "gateway")}
    subject = f"bench.chain.{token()}"
    roles: dict[str, list[str]] = {
        "baseline": ["baseline", dsns["baseline"], str(ports["baseline"])],
        "chain-worker": ["chain-worker", dsns["chain"], srv.nats_url, subject],
        "chain-api": ["chain-api", srv.nats_url, subject, str(ports["chain"])],
        "gateway": ["gateway", srv.nats_url, str(ports["gateway"])],
    }
    if services_together:
        roles["services"] = [
            "services",
            srv.nats_url,
            json.dumps({name: dsns[name] for name in SERVICES}),
        ]
    else:
        roles |= {f"svc-{name}": ["service", name, srv.nats_url, dsns[name]] for name in SERVICES}
    system = System(
        baseline_url=f"http://127.0.0.1:{ports['baseline']}",
        chain_url=f"http://127.0.0.1:{ports['chain']}",
        gateway_url=f"http://127.0.0.1:{ports['gateway']}",
        dsns=dsns,
    )
    try:
        for role, argv in roles.items():
            with (logs / f"{role}.log").open("wb") as log:
                system.processes[role] = subprocess.Popen(  # noqa: ASYNC220 - before measuring
                    [sys.executable, "-m", "bench.gateway_targets", *argv],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        await _ready(system, logs)
        yield system
    finally:
        for proc in system.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in system.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


async def _ready(system: System, logs: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as http:

        async def answers(url: str, method: str = "GET", **kwargs: Any) -> bool:
            try:
                response = await http.request(method, url, **kwargs)
            except httpx.HTTPError:
                return False
            return response.status_code < 300

        item = {"id": str(uuid4()), "amount": 1, "note": "ready?"}
        checks: dict[str, Callable[[], Awaitable[bool]]] = {
            "baseline": lambda: answers(f"{system.baseline_url}/items", "POST", json=item),
            "chain": lambda: answers(
                f"{system.chain_url}/items", "POST", json={**item, "id": str(uuid4())}
            ),
            "gateway": lambda: answers(f"{system.gateway_url}/readyz"),
        }
        deadline = time.monotonic() + READY_TIMEOUT
        pending = dict(checks)
        while pending:
            for role, proc in system.processes.items():
                if proc.poll() is not None:
                    msg = f"{role} exited with {proc.returncode}; see {logs / role}.log"
                    raise RuntimeError(msg)
            for name, check in list(pending.items()):
                if await check():
                    del pending[name]
            if time.monotonic() > deadline:
                msg = f"not ready within {READY_TIMEOUT:.0f}s: {sorted(pending)}; logs in {logs}"
                raise TimeoutError(msg)
            await asyncio.sleep(0.2)


def visit_body(case_id: UUID, today: date, volunteer_id: UUID) -> dict[str, Any]:
    """A visit by one of the club's volunteers; the senders give each case's k-th visit of the
    day its own volunteer (`Prepared.volunteer`), so no visit is merged into an earlier one
    and every command appends one `VisitCompleted`."""
    return {
        "visit_id": str(new_id()),
        "case_id": str(case_id),
        "volunteer_ids": [str(volunteer_id)],
        "visited_on": today.isoformat(),
        "duration_minutes": 45,
        "tasks_done": ["bathing"],
    }


@dataclass(frozen=True)
class Prepared:
    cases: list[UUID]
    volunteers: list[UUID]

    def case(self, n: int) -> UUID:
        return self.cases[n % len(self.cases)]

    def volunteer(self, n: int) -> UUID:
        """The volunteer of request `n`: a different one for each visit of a case."""
        return self.volunteers[(n // len(self.cases)) % len(self.volunteers)]


async def register_volunteers(
    http: httpx.AsyncClient, bearer: str, count: int, warm_case: UUID
) -> list[UUID]:
    """`count` volunteers of the demo club, registered in membership through the gateway, and
    each seen by care (a visit references only volunteers of the case's club: the ownership
    directory, ADR 0033), shown by one visit of theirs to `warm_case` being accepted."""
    headers = {"Authorization": f"Bearer {bearer}"}
    today = vn_date(SystemClock().now())
    established = await http.post(
        "/v1/membership/commands/establish-club",
        json={
            "club_id": str(CLUB),
            "name": "CLB Bench",
            "admin_unit": "01:00070",
            "founded_on": "2024-03-21",
        },
        headers={"Authorization": f"Bearer {admin_token()}", "Idempotency-Key": str(new_id())},
    )
    if established.status_code != 201:
        msg = f"establishing the club: {established.status_code} {established.text}"
        raise RuntimeError(msg)
    volunteers = [new_id() for _ in range(count)]
    for volunteer_id in volunteers:
        response = await http.post(
            "/v1/membership/commands/register-volunteer",
            json={
                "volunteer_id": str(volunteer_id),
                "club_id": str(CLUB),
                "person_id": str(new_id()),
                "full_name": "Trần Văn Bench",
                "registered_on": today.isoformat(),
                "confidentiality_signed": True,
            },
            headers={**headers, "Idempotency-Key": str(new_id())},
        )
        if response.status_code != 201:
            msg = f"registering a volunteer: {response.status_code} {response.text}"
            raise RuntimeError(msg)
    deadline = time.monotonic() + 60
    for volunteer_id in volunteers:
        while True:
            response = await http.post(
                "/v1/care/commands/record-visit",
                json=visit_body(warm_case, today, volunteer_id),
                headers={**headers, "Idempotency-Key": str(new_id())},
            )
            if response.status_code == 201:
                break
            if time.monotonic() > deadline:
                msg = f"care never knew volunteer {volunteer_id}: {response.text}"
                raise RuntimeError(msg)
            await asyncio.sleep(0.2)  # polling the service until it has heard; not a test
    return volunteers


async def prepare_cases(
    http: httpx.AsyncClient, bearer: str, count: int, *, concurrency: int = 8
) -> list[UUID]:
    """`count` care cases of the demo club, each referred, assessed and with a plan that
    starts today: ready for today's visits. Sent through the gateway like any client.

    Not a plan that started weeks ago: its past weeks would be closed by the scheduler's
    timers during the measurement, commands nobody sent."""
    begun = vn_date(SystemClock().now()).isoformat()
    gate = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {bearer}"}

    async def send(command: str, body: dict[str, Any]) -> None:
        response = await http.post(
            f"/v1/care/commands/{command}",
            json=body,
            headers={**headers, "Idempotency-Key": str(new_id())},
        )
        if response.status_code != 201:
            msg = f"preparing {command}: {response.status_code} {response.text}"
            raise RuntimeError(msg)

    async def one() -> UUID:
        case_id = new_id()
        async with gate:
            await send(
                "refer-for-care",
                {
                    "case_id": str(case_id),
                    "club_id": str(CLUB),
                    "person_id": str(new_id()),
                    "full_name": "Nguyễn Thị Bench",
                    "referred_on": begun,
                    "referred_by": "club_board",
                    "reasons": ["lives_alone"],
                },
            )
            await send(
                "assess-needs",
                {"case_id": str(case_id), "assessed_on": begun, "assessed_by": "club_board"},
            )
            await send(
                "open-care-plan",
                {
                    "case_id": str(case_id),
                    "plan_id": str(new_id()),
                    "visits_per_week": 2,
                    "starts_on": begun,
                },
            )
        return case_id

    return list(await asyncio.gather(*(one() for _ in range(count))))
