"""Health follow-up needs the person's consent, known from membership's events (never from
the command): without it a health check or a visit's vitals are refused with a typed problem
naming the purpose; a withdrawal stops them from its date on; business dates decide."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from nats.aio.client import Client

from ishc_contracts import new_id
from ishc_contracts.errors import Reply
from ishc_contracts.membership.events import ConsentGiven, ConsentWithdrawn, MemberJoined
from ishc_runtime.service import Service, send_command
from ishc_runtime.testing.waiting import wait_until

from .conftest import Membership, command

pytestmark = pytest.mark.integration

CLUB = new_id()


async def check(nc: Client, person: MemberJoined, on: str, **extra: Any) -> Reply:
    return await send_command(
        nc,
        "care",
        command(
            "RecordHealthCheck", check_id=new_id(), club_id=CLUB, person_id=person.person_id,
            member_id=person.member_id, checked_on=on, glucose_mmol_l=6.2, **extra,
        ),
    )  # fmt: skip


async def consents_known(care: Service, person: MemberJoined, withdrawn: bool) -> bool:
    row = await care.context.pool.fetchrow(
        "SELECT withdrawn_on FROM consents WHERE person_id = $1", person.person_id
    )
    return row is not None and (row["withdrawn_on"] is not None) == withdrawn


async def test_a_health_check_needs_the_consent_on_its_day(
    care: Service, membership: Membership, nats_client: Client
) -> None:
    nc = nats_client
    hoa = MemberJoined(
        member_id=new_id(), club_id=CLUB, person_id=new_id(), full_name="Võ Thị Hoa",
        sex="female", birth_date=date(1948, 1, 9), joined_on=date(2025, 1, 10),
    )  # fmt: skip
    stream = f"member-{hoa.member_id}"
    await membership.publish(stream, hoa)

    refused = await check(nc, hoa, "2026-06-01")
    assert not refused.ok and refused.problem is not None
    assert (refused.problem.type, refused.problem.status) == ("consent-required", 409)
    assert refused.problem.extra["purpose"] == "health_data"
    assert "health_data" in refused.problem.detail
    # The command cannot vouch for itself: a payload claiming consent changes nothing.
    claimed = await send_command(
        nc, "care",
        command("RecordHealthCheck", check_id=new_id(), club_id=CLUB, person_id=hoa.person_id,
                checked_on="2026-06-01", consent="given"),
    )  # fmt: skip
    assert not claimed.ok

    consent_id = new_id()
    await membership.publish(
        stream,
        ConsentGiven(
            consent_id=consent_id, person_id=hoa.person_id, club_id=CLUB,
            purpose="health_data", given_on=date(2026, 3, 1), method="written",
        ),
    )  # fmt: skip
    await wait_until(
        lambda: consents_known(care, hoa, withdrawn=False), timeout=20, interval=0.1,
        message="care never heard of the consent",
    )  # fmt: skip
    assert (await check(nc, hoa, "2026-06-01")).ok
    before = await check(nc, hoa, "2026-02-27")  # typed late, dated before the consent
    assert before.problem is not None and before.problem.type == "consent-required"

    await membership.publish(
        stream,
        ConsentWithdrawn(
            consent_id=consent_id, person_id=hoa.person_id, club_id=CLUB,
            purpose="health_data", withdrawn_on=date(2026, 9, 1), method="verbal",
        ),
    )  # fmt: skip
    await wait_until(
        lambda: consents_known(care, hoa, withdrawn=True), timeout=20, interval=0.1,
        message="care never heard of the withdrawal",
    )  # fmt: skip
    stopped = await check(nc, hoa, "2026-09-02")
    assert stopped.problem is not None and stopped.problem.type == "consent-required"
    # A check made while the consent held is still taken when typed in late.
    assert (await check(nc, hoa, "2026-08-31")).ok
