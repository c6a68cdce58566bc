"""The gateway over real NATS in front of the runtime's sample service (real Postgres)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from nats.aio.client import Client

from gateway.app import create_app
from gateway.auth import Role
from gateway.live import club_events
from gateway.settings import GatewaySettings
from ishc_contracts import new_id
from ishc_runtime.service import Service, ServiceSettings
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.sample_service import Balance, Deposit, OpenAccount, sample_service
from ishc_runtime.testing.waiting import wait_until

from ..support import CLUB_A, TEST_SECRET, auth, token

pytestmark = pytest.mark.integration

# Minted at import: they must outlive a slow, shared full run (about half an hour).
WHOLE_RUN = timedelta(hours=2)
ADMIN = token(Role.NATIONAL_ADMIN, clubs=(), ttl=WHOLE_RUN)
SECRETARY = token(Role.CLUB_SECRETARY, clubs=(CLUB_A,), ttl=WHOLE_RUN)


# Bounds a call that must end by the gateway's configured timeout (0.5 to 1 s in
# these tests): under the default it proves the configured one governed.
UNCONFIGURED_TIMEOUT = GatewaySettings.model_fields["request_timeout_seconds"].default


@asynccontextmanager
async def gateway_for(
    nc: Client, infrastructure: Infrastructure, service: str, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    options: dict[str, Any] = {
        "dev_mode": True,
        "jwt_hs256_secret": TEST_SECRET,
        "nats_url": infrastructure.nats_url,
        "services": (service,),
        "club_directory": False,
        # Generous: a loaded machine answers slowly; tests of the timeout set their own.
        "request_timeout_seconds": 10.0,
        **overrides,
    }
    app = create_app(
        GatewaySettings(**options),
        nc,
        extra_commands={service: (OpenAccount, Deposit)},
        extra_queries={service: (Balance,)},
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client,
    ):
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def sample(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str
) -> AsyncIterator[Service]:
    settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    async with Service(sample_service(f"sample{stream_suffix}"), settings) as running:
        yield running


def headers(key: Any = None, bearer: str = ADMIN) -> dict[str, str]:
    return {**auth(bearer), "Idempotency-Key": str(key or new_id())}


async def events(service: Service) -> int:
    count: int = await service.context.pool.fetchval("SELECT count(*) FROM events")
    return count


async def test_a_repeated_command_returns_the_same_result_and_appends_once(
    sample: Service, nats_client: Client, infrastructure: Infrastructure
) -> None:
    name = sample.definition.name
    async with gateway_for(nats_client, infrastructure, name) as http:
        key = new_id()
        body = {"account_id": str(new_id()), "owner": "Lan"}
        first = await http.post(
            f"/v1/{name}/commands/open-account", json=body, headers=headers(key)
        )
        again = await http.post(
            f"/v1/{name}/commands/open-account", json=body, headers=headers(key)
        )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["event_ids"] == first.json()["event_ids"]
    assert again.json()["consistency"] == first.json()["consistency"]
    assert await events(sample) == 1


async def test_read_your_writes_with_the_consistency_token(
    sample: Service, nats_client: Client, infrastructure: Infrastructure
) -> None:
    name = sample.definition.name
    account = str(new_id())
    async with gateway_for(nats_client, infrastructure, name) as http:
        opened = await http.post(
            f"/v1/{name}/commands/open-account",
            json={"account_id": account, "owner": "Mai"},
            headers=headers(),
        )
        assert opened.status_code == 201, opened.text
        deposited = await http.post(
            f"/v1/{name}/commands/deposit",
            json={"account_id": account, "amount": 250_000},
            headers=headers(),
        )
        assert deposited.status_code == 201, deposited.text
        token_ = deposited.headers["ISHC-Consistency"]
        assert token_ == f"account-{account}@2"

        read = await http.get(
            f"/v1/{name}/queries/balance",
            params={"account_id": account, "consistency": token_},
            headers=auth(ADMIN),
        )

    assert read.status_code == 200, read.text
    assert read.json() == {
        "data": {"owner": "Mai", "balance": 250_000, "version": 2, "stale": False},
        "stale": False,
    }


async def test_object_reads_without_a_club_are_hidden_from_club_roles(
    sample: Service, nats_client: Client, infrastructure: Infrastructure
) -> None:
    name = sample.definition.name
    account = str(new_id())
    async with gateway_for(nats_client, infrastructure, name) as http:
        await http.post(
            f"/v1/{name}/commands/open-account",
            json={"account_id": account, "owner": "Hoa"},
            headers=headers(),
        )
        read = await http.get(
            f"/v1/{name}/queries/balance", params={"account_id": account}, headers=auth(SECRETARY)
        )
    assert read.status_code == 404
    assert "Hoa" not in read.text


async def test_a_bad_body_is_422_naming_the_field_and_appends_nothing(
    sample: Service, nats_client: Client, infrastructure: Infrastructure
) -> None:
    name = sample.definition.name
    async with gateway_for(nats_client, infrastructure, name) as http:
        response = await http.post(
            f"/v1/{name}/commands/deposit",
            json={"account_id": str(new_id()), "amount": 0},
            headers=headers(),
        )
        refused = await http.post(
            f"/v1/{name}/commands/deposit",
            json={"account_id": str(new_id()), "amount": 5},
            headers=headers(),
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["amount"]
    # The service's own rule (no such account): its problem, passed through.
    assert refused.status_code == 409
    assert refused.json()["type"] == "https://ishc.vn/problems/invalid-state"
    assert await events(sample) == 0


async def test_a_service_that_is_down_is_503_in_time_and_the_same_key_later_completes_once(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str, nats_client: Client
) -> None:
    name = f"late{stream_suffix}"
    key = new_id()
    body = {"account_id": str(new_id()), "owner": "Tuan"}
    async with gateway_for(nats_client, infrastructure, name, request_timeout_seconds=1.0) as http:
        started = time.monotonic()
        down = await http.post(f"/v1/{name}/commands/open-account", json=body, headers=headers(key))
        elapsed = time.monotonic() - started
        assert down.status_code == 503, down.text
        assert int(down.headers["Retry-After"]) >= 1
        assert elapsed < UNCONFIGURED_TIMEOUT
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503

        settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
        async with Service(sample_service(name), settings) as service:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            done = await http.post(
                f"/v1/{name}/commands/open-account", json=body, headers=headers(key)
            )
            again = await http.post(
                f"/v1/{name}/commands/open-account", json=body, headers=headers(key)
            )
            assert done.status_code == 201, done.text
            assert again.status_code == 200
            assert await events(service) == 1


async def test_offline_sync_against_the_service_is_harmless_to_replay(
    sample: Service, nats_client: Client, infrastructure: Infrastructure
) -> None:
    name = sample.definition.name
    account = str(new_id())
    opened, deposit = new_id(), new_id()

    def item(key: Any, command: str, **payload: Any) -> dict[str, Any]:
        return {
            "idempotency_key": str(key),
            "service": name,
            "command": command,
            "payload": payload,
            "device_time": "2026-11-20T09:30:00+07:00",
        }

    batch = {
        "commands": [
            item(opened, "open-account", account_id=account, owner="Lan"),
            item(deposit, "deposit", account_id=account, amount=10_000),
            item(deposit, "deposit", account_id=account, amount=10_000),
            item(new_id(), "deposit", account_id=account, amount=-5),
            item(new_id(), "deposit", account_id=str(new_id()), amount=5),
        ]
    }
    async with gateway_for(nats_client, infrastructure, name) as http:
        first = await http.post("/v1/sync", json=batch, headers=auth(ADMIN))
        second = await http.post("/v1/sync", json=batch, headers=auth(ADMIN))

    assert first.status_code == 200, first.text
    statuses = [r["status"] for r in first.json()["results"]]
    assert statuses == ["accepted", "accepted", "duplicate", "rejected", "rejected"]
    problems = [r["problem"] for r in first.json()["results"][3:]]
    assert problems[0]["errors"][0]["field"] == "amount"
    assert problems[1]["status"] == 409
    assert [r["status"] for r in second.json()["results"]] == [
        "duplicate",
        "duplicate",
        "duplicate",
        "rejected",
        "rejected",
    ]
    assert await events(sample) == 2


async def test_the_club_directory_follows_club_established_events(
    nats_client: Client, infrastructure: Infrastructure, stream_suffix: str
) -> None:
    service = f"membership{stream_suffix}"
    stream = service.upper()
    js = nats_client.jetstream()
    await js.add_stream(name=stream, subjects=[f"ishc.{service}.*.*"])
    club = new_id()

    def established(club_id: Any, unit: str) -> bytes:
        return json.dumps(
            {
                "type": "membership.ClubEstablished",
                "data": {"club_id": str(club_id), "admin_unit": unit},
            }
        ).encode()

    await js.publish(f"ishc.{service}.club.ClubEstablished", established(club, "01:00004"))
    officer = token(Role.PROVINCIAL_OFFICER, clubs=(), provinces=("01",))
    async with gateway_for(
        nats_client,
        infrastructure,
        "nobody",
        club_directory=True,
        membership_stream=stream,
    ) as http:
        gateway = http._transport.app.state.gateway  # type: ignore[attr-defined]
        province: Callable[[], Any] = lambda: gateway.directory.province_of(club) == "01"  # noqa: E731
        await wait_until(lambda: _true(province()), timeout=10, message="directory empty")
        later = new_id()
        await js.publish(f"ishc.{service}.club.ClubEstablished", established(later, "79:1"))
        await wait_until(
            lambda: _true(gateway.directory.province_of(later) == "79"),
            timeout=10,
            message="directory does not follow",
        )
        report = await http.get(
            "/v1/membership/queries/club-composition",
            params={"club_id": str(later)},
            headers=auth(officer),
        )
    assert report.status_code == 404  # province 79 is not the officer's


async def _true(value: bool) -> bool:
    return value


async def test_live_updates_carry_only_the_clubs_events_and_no_data(
    nats_client: Client, stream_suffix: str
) -> None:
    service = f"live{stream_suffix}"
    other = new_id()

    def envelope(club: Any, version: int) -> bytes:
        return json.dumps(
            {
                "event_id": str(new_id()),
                "type": f"{service}.VisitRecorded",
                "stream_id": f"case-{club}",
                "version": version,
                "recorded_at": "2026-11-20T02:30:00+00:00",
                "metadata": {"club_id": str(club), "actor": {"user_id": "u", "role": "r"}},
                "data": {"observations": "private"},
            }
        ).encode()

    ready = asyncio.Event()
    stream = club_events(nats_client, (service,), CLUB_A, heartbeat=0.2, ready=ready)
    assert await anext(stream) == ": connected\n\n"
    await ready.wait()
    await nats_client.publish(f"ishc.{service}.case.VisitRecorded", envelope(other, 1))
    await nats_client.publish(f"ishc.{service}.case.VisitRecorded", envelope(CLUB_A, 7))
    await nats_client.publish(f"ishc.cmd.{service}.RecordVisit", b"{}")  # a request: ignored
    received = await asyncio.wait_for(anext(stream), timeout=5)
    await stream.aclose()

    lines = dict(line.split(": ", 1) for line in received.strip().split("\n"))
    assert lines["event"] == f"{service}.VisitRecorded"
    data = json.loads(lines["data"])
    assert data["consistency"] == f"case-{CLUB_A}@7"
    assert "private" not in received


@pytest.mark.parametrize("role", [Role.CLUB_SECRETARY, Role.OPERATOR])
async def test_the_gateway_served_by_uvicorn_streams_live_updates_over_http(
    nats_client: Client, infrastructure: Infrastructure, stream_suffix: str, role: Role
) -> None:
    """The club's roles get each event's notice; an operator (aggregates only) learns that
    the service changed, and nothing about the event or whose it is."""
    bearer = token(role, clubs=(CLUB_A,) if role is Role.CLUB_SECRETARY else ())
    service = f"http{stream_suffix}"
    settings = GatewaySettings(
        dev_mode=True,
        jwt_hs256_secret=TEST_SECRET,
        nats_url=infrastructure.nats_url,
        services=(service,),
        club_directory=False,
    )
    app = create_app(settings)  # connects to NATS itself, as in production
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: _true(server.started), timeout=10, message="uvicorn not up")
        port = server.servers[0].sockets[0].getsockname()[1]
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
            http.stream("GET", f"/v1/clubs/{CLUB_A}/events", headers=auth(bearer)) as live,
        ):
            assert live.status_code == 200
            assert live.headers["content-type"].startswith("text/event-stream")
            lines = live.aiter_lines()
            assert await anext(lines) == ": connected"
            body = json.dumps(
                {
                    "event_id": str(new_id()),
                    "type": f"{service}.Happened",
                    "stream_id": "thing-1",
                    "version": 3,
                    "metadata": {"club_id": str(CLUB_A)},
                }
            ).encode()
            received: list[str] = []

            async def publish_until_seen() -> bool:
                await nats_client.publish(f"ishc.{service}.thing.Happened", body)
                line = await asyncio.wait_for(anext(lines), timeout=1)
                received.append(line)
                return line.startswith("data: ")

            await wait_until(publish_until_seen, timeout=10, message="no live update")
            data = json.loads(received[-1].removeprefix("data: "))
            if role is Role.CLUB_SECRETARY:
                assert data["consistency"] == "thing-1@3"
                assert f"event: {service}.Happened" in received
            else:
                assert data == {"service": service}
                assert "event: changed" in received
                assert not [line for line in received if "thing-1" in line or "id:" in line]
            health = await http.get("/healthz")
            assert health.status_code == 200
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=10)


async def test_a_service_stopped_mid_run_is_503_and_the_retry_completes_once_after_restart(
    database_dsn: str, infrastructure: Infrastructure, stream_suffix: str, nats_client: Client
) -> None:
    name = f"restart{stream_suffix}"
    settings = ServiceSettings(database_url=database_dsn, nats_url=infrastructure.nats_url)
    account = str(new_id())
    key = new_id()
    deposit = {"account_id": account, "amount": 1_000}
    # The default timeout: a stopped service is "no responders", answered at once whatever
    # the timeout, and the restarted one may be slow to answer its first command.
    async with gateway_for(nats_client, infrastructure, name) as http:
        async with Service(sample_service(name), settings):
            opened = await http.post(
                f"/v1/{name}/commands/open-account",
                json={"account_id": account, "owner": "Lan"},
                headers=headers(),
            )
            assert opened.status_code == 201
        started = time.monotonic()
        down = await http.post(f"/v1/{name}/commands/deposit", json=deposit, headers=headers(key))
        assert down.status_code == 503 and down.headers["Retry-After"]
        assert time.monotonic() - started < UNCONFIGURED_TIMEOUT
        async with Service(sample_service(name), settings) as service:
            done = await http.post(
                f"/v1/{name}/commands/deposit", json=deposit, headers=headers(key)
            )
            again = await http.post(
                f"/v1/{name}/commands/deposit", json=deposit, headers=headers(key)
            )
            assert (done.status_code, again.status_code) == (201, 200)
            assert again.json()["event_ids"] == done.json()["event_ids"]
            assert await events(service) == 2


async def test_a_service_that_hangs_is_503_within_the_timeout(
    nats_client: Client, infrastructure: Infrastructure, stream_suffix: str
) -> None:
    name = f"hang{stream_suffix}"

    async def never_answer(msg: Any) -> None:
        return None

    await nats_client.subscribe(f"ishc.cmd.{name}.*", cb=never_answer)
    async with gateway_for(nats_client, infrastructure, name, request_timeout_seconds=0.5) as http:
        started = time.monotonic()
        response = await http.post(
            f"/v1/{name}/commands/open-account",
            json={"account_id": str(new_id()), "owner": "Lan"},
            headers=headers(),
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["type"] == "https://ishc.vn/problems/service-unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    # It waited for the configured half second, not the default: a loaded CI
    # machine may add seconds of scheduling, never the whole default timeout.
    assert 0.4 < elapsed < UNCONFIGURED_TIMEOUT
