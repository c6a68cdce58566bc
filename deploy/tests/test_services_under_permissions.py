"""The real services and the gateway, each logged in as its own NATS user, work end to end.

test_nats_permissions.py shows the users cannot do what they must not; this shows the same
accounts.conf is not too tight for what the code really does: the operator's step declares
the streams (`ishc declare-streams` as the ops user), every service checks its own, creates its
durables (on its own and other services' streams), answers requests, and a club founded
through the gateway's user reaches finance's, care's and advocacy's projections, with not one
permission violation in the server's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import nats
import pytest
from nats.aio.client import Client
from typer.testing import CliRunner

from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_contracts import Actor, CommandEnvelope, new_id
from ishc_ops.cli import app as ishc
from ishc_runtime.service import Service, send_command
from ishc_runtime.service.settings import ServiceSettings
from ishc_runtime.testing.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SERVICES = ("membership", "finance", "care", "advocacy", "reporting")
# Reporting appends no events: it runs without a relay, as compose and k8s run it.
WITHOUT_RELAY = frozenset({"reporting"})
SECRETARY = Actor(user_id="secretary-1", role="club_secretary")
FOUNDED = date(2025, 9, 1)


def settings_for(service: str, database_url: str, nats_url: str) -> ServiceSettings:
    module = __import__(f"{service}.settings", fromlist=["Settings"])
    settings: ServiceSettings = module.Settings(
        database_url=database_url,
        nats_url=nats_url,
        run_relay=service not in WITHOUT_RELAY,
        declare_stream=False,  # as deployed: ops declares, the relay checks (ADR 0030)
    )
    return settings


def definition_of(service: str) -> Any:
    return __import__(f"{service}.definition", fromlist=["definition"]).definition()


@pytest.fixture
async def services(
    secured_nats: Any, fresh_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[dict[str, Service]]:
    declared = await asyncio.to_thread(
        CliRunner().invoke,
        ishc,
        ["declare-streams", "--nats-url", secured_nats.url_for("ops"), "--json"],
    )
    assert declared.exit_code == 0, (declared.output, declared.exception)
    running: dict[str, Service] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name in SERVICES:
            dsn = await fresh_database(name)
            settings = settings_for(name, dsn, secured_nats.url_for(name))
            running[name] = await stack.enter_async_context(Service(definition_of(name), settings))
        yield running


async def caught_up(service: Service) -> bool:
    if service.relay is not None and await service.relay.lag() != 0:
        return False
    for runner in service.runners.values():
        if runner.stopped or any((await runner.lag()).values()):
            return False
    return True


async def command(nc: Client, club: UUID, kind: str, **payload: Any) -> None:
    envelope = CommandEnvelope(
        command_id=new_id(),
        type=kind,
        actor=SECRETARY,
        club_id=club,
        payload={k: str(v) if isinstance(v, UUID | date) else v for k, v in payload.items()},
    )
    reply = await send_command(nc, "membership", envelope, timeout=10)
    assert reply.ok, reply.problem


async def test_services_and_gateway_run_under_their_own_users(
    secured_nats: Any, services: dict[str, Service]
) -> None:
    # The gateway app, connecting as `gateway`: /readyz asks every service over NATS, and the
    # club directory replays MEMBERSHIP with an ordered consumer.
    settings = GatewaySettings(
        dev_mode=True,
        jwt_hs256_secret=secrets.token_urlsafe(32),
        nats_url=secured_nats.url_for("gateway"),
    )
    app = create_app(settings)
    gateway_nc = await nats.connect(
        secured_nats.url_for("gateway"), connect_timeout=5, inbox_prefix="_INBOX_gateway"
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as http,
        ):

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await wait_until(ready, timeout=30, message="gateway never ready")

            club = new_id()
            await command(
                gateway_nc,
                club,
                "EstablishClub",
                club_id=club,
                name="CLB Liên thế hệ Phú Lợi",
                legacy_address="Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương",
                founded_on=FOUNDED,
                activity_areas=["livelihoods", "home_care"],
            )
            await command(
                gateway_nc,
                club,
                "AdoptCharter",
                club_id=club,
                charter_version=1,
                adopted_on=FOUNDED,
                meeting_day_of_month=21,
            )
            await command(
                gateway_nc,
                club,
                "AdmitMember",
                member_id=new_id(),
                club_id=club,
                person_id=new_id(),
                joined_on=FOUNDED,
                household_id=UUID(int=1),
                full_name="Thành viên 01",
                sex="female",
                birth_date=date(1950, 1, 1),
                womens_union_member=True,
                ethnic_minority=False,
            )

            for service in services.values():
                await wait_until(
                    functools.partial(caught_up, service),
                    timeout=30,
                    message=f"{service.definition.name} did not catch up",
                )
            finance = services["finance"].context.pool
            meeting_day = await finance.fetchval(
                "SELECT meeting_day FROM finance_clubs WHERE club_id = $1", club
            )
            assert meeting_day == 21  # a membership event, projected by finance
            # The operator screen: every service (reporting too) answers its built-in status
            # query, reading its source streams' positions under its own user.
            issued = await http.post("/v1/dev/tokens", json={"user": "operator"})
            bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
            status = (await http.get("/v1/ops/projections", headers=bearer)).json()
            answered = {entry["service"]: entry for entry in status["services"]}
            assert set(answered) == set(SERVICES)
            for entry in answered.values():
                assert entry["available"], entry
                assert entry["projections"], entry
                assert all(row["lag"] == 0 for row in entry["projections"]), entry
            # One deliberate violation, to show the server does log them.
            await gateway_nc.publish("ishc.membership.club.Forged", b"{}")
            await gateway_nc.flush()

            def logged() -> list[str]:
                text = secured_nats.log_file.read_text(errors="replace")
                return [line for line in text.splitlines() if "Violation" in line]

            await wait_until(lambda: bool(logged()), timeout=5, message="violation not logged")
    finally:
        await gateway_nc.close()

    assert len(logged()) == 1, logged()
    assert '"ishc.membership.club.Forged"' in logged()[0]
