"""Retention per category applied by care's scheduler (the `retention` reference list): when a
case's notes are past their 5 years after its closing date, their key goes and the notes read
as erased; its health data (10 years) and the person's name stay readable. Business dates
decide: the clock starts on the case's closing date, not when it was keyed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client

from care.definition import definition
from ishc_contracts import new_id
from ishc_contracts.membership.events import MemberJoined
from ishc_contracts.retention import rules_for
from ishc_runtime.clock import FakeClock, vn_start_of_day
from ishc_runtime.privacy import LocalMasterKeys, new_key
from ishc_runtime.service import Service, ServiceSettings, send_command
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .conftest import Membership, command

pytestmark = pytest.mark.integration

CLUB = new_id()
CLOSED_ON = date(2026, 12, 29)
NOTE = "lives alone since her son moved to Ha Noi"


@pytest_asyncio.fixture(loop_scope="session")
async def sealing_care(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None, clock: FakeClock
) -> AsyncIterator[Service]:
    settings = ServiceSettings(
        database_url=database_dsn,
        nats_url=infrastructure.nats_url,
        run_scheduler=False,  # fired by the test, on its fake clock
        master_keys=LocalMasterKeys("k1", {"k1": new_key()}).to_json(),
    )
    async with Service(definition(), settings, clock=clock) as service:
        yield service


async def ok(nc: Client, kind: str, **payload: Any) -> dict[str, Any]:
    reply = await send_command(nc, "care", command(kind, **payload))
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


async def opened(service: Service, stream_id: str) -> list[dict[str, Any]]:
    """The stream's events as the service reads them, keys loaded afresh from the table."""
    privacy = service.context.store.privacy
    assert privacy is not None
    privacy.keys.forget()
    events = await service.context.store.read_stream(stream_id)
    return [{"type": e.type, **await privacy.open_all(e.type, stream_id, e.data)} for e in events]


def field(events: list[dict[str, Any]], wire_name: str, name: str) -> Any:
    return next(e[name] for e in events if e["type"] == wire_name)


async def test_notes_go_after_five_years_health_data_stays_until_ten(
    sealing_care: Service, membership: Membership, nats_client: Client, clock: FakeClock
) -> None:
    care, nc = sealing_care, nats_client
    lan = MemberJoined(
        member_id=new_id(), club_id=CLUB, person_id=new_id(), full_name="Nguyễn Thị Lan",
        sex="female", birth_date=date(1950, 5, 2), joined_on=date(2025, 1, 10),
    )  # fmt: skip
    await membership.publish(f"member-{lan.member_id}", lan)
    case = new_id()
    stream = f"case-{case}"

    async def referred() -> bool:
        reply = await send_command(
            nc, "care",
            command("ReferForCare", case_id=case, club_id=CLUB, person_id=lan.person_id,
                    member_id=lan.member_id, full_name=lan.full_name, referred_on="2026-12-01",
                    referred_by="volunteer", reasons=["lives_alone"], note=NOTE),
        )  # fmt: skip
        return reply.ok

    await wait_until(referred, timeout=20, interval=0.2, message="care never knew the member")
    await ok(nc, "AssessNeeds", case_id=case, assessed_on="2026-12-02", assessed_by="board",
             reasons=["lives_alone", "chronic_illness"])  # fmt: skip
    await ok(nc, "CloseCase", case_id=case, closed_on=CLOSED_ON.isoformat(), reason="recovered")

    scheduler = care.context.scheduler
    notes_rule, health_rule = (
        next(r for r in rules_for("care") if r.code == code)
        for code in ("care.notes_after_case", "care.health_after_case")
    )
    notes_key = f"retention:{notes_rule.code}:{stream}:{CLOSED_ON}"
    health_key = f"retention:{health_rule.code}:{stream}:{CLOSED_ON}"

    async def scheduled() -> bool:
        return all([await scheduler.get(k) is not None for k in (notes_key, health_key)])

    await wait_until(scheduled, timeout=20, interval=0.1, message="no retention timer")
    notes_timer = await scheduler.get(notes_key)
    assert notes_timer is not None
    # Due from the business date: the closing day plus five years, at the start of the day.
    assert notes_timer.due_at == vn_start_of_day(date(2031, 12, 29))

    before = await opened(care, stream)
    assert field(before, "care.CareReferralReceived", "note") == NOTE

    clock.set(vn_start_of_day(date(2031, 12, 29)) - timedelta(seconds=1))
    await scheduler.fire_due()
    assert (await scheduler.get(notes_key)).fired_at is None  # type: ignore[union-attr]
    assert field(await opened(care, stream), "care.CareReferralReceived", "note") == NOTE

    clock.set(vn_start_of_day(date(2031, 12, 29)))
    await scheduler.fire_due()
    fired = await scheduler.get(notes_key)
    assert fired is not None and fired.fired_at is not None, fired
    assert fired.last_error is None, fired.last_error
    after = await opened(care, stream)
    assert field(after, "care.CareReferralReceived", "note") is None  # erased
    assert field(after, "care.CareCaseClosed", "note") is None
    # Health data (10 years) and the name stay readable.
    assert field(after, "care.CareReferralReceived", "reasons") == ["lives_alone"]
    assert field(after, "care.NeedsAssessed", "reasons") == ["lives_alone", "chronic_illness"]
    assert field(after, "care.CareReferralReceived", "full_name") == "Nguyễn Thị Lan"
    recorded = await care.context.pool.fetchrow(
        "SELECT * FROM privacy_retention WHERE subject = $1", stream
    )
    assert recorded is not None
    assert (recorded["rule"], recorded["category"], recorded["keys_destroyed"]) == (
        "care.notes_after_case", "notes", 1,
    )  # fmt: skip
    assert recorded["ends_on"] == date(2031, 12, 29)

    clock.set(vn_start_of_day(date(2036, 12, 29)))
    await scheduler.fire_due()
    later = await opened(care, stream)
    assert field(later, "care.CareReferralReceived", "reasons") is None
    assert field(later, "care.NeedsAssessed", "reasons") is None
    assert field(later, "care.CareReferralReceived", "full_name") == "Nguyễn Thị Lan"
