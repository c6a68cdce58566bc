"""`ishc subjects erase`: the person's keys go, the record of why stays, the name reads erased."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client
from typer.testing import CliRunner, Result

from ishc_contracts import (
    ERASED_TEXT,
    Actor,
    CommandEnvelope,
    EventEnvelope,
    EventMetadata,
    QueryEnvelope,
    new_id,
)
from ishc_contracts.audit import AccessRecorded
from ishc_ops.cli import app
from ishc_runtime.service.client import ask, send_command
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .sealed_membership import ADMIN, SealedMembership, membership

pytestmark = pytest.mark.integration

__all__ = ["membership"]  # the fixture, used by name


async def test_erasing_a_person_destroys_their_keys_and_records_why(
    membership: SealedMembership,
    nats_client: Client,
    infrastructure: Infrastructure,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    club_id = await membership.club(nats_client, "CLB Hoàn Kiếm")
    _, person_id = await membership.admit(
        nats_client, club_id, "Nguyễn Thị Lan",
        sex="female", birth_date="1941-03-02", phone="0912345678",
    )  # fmt: skip
    monkeypatch.setenv("ISHC_TRANSPORT_KEY", membership.transport.to_text())

    result = await _ishc(
        "subjects", "erase", str(person_id), "--reason", "request of the person",
        "--legal-basis", "Law 91/2025/QH15 art. 14", "--by", "admin-hoa",
        "--service", "membership", "--nats-url", infrastructure.nats_url, "--yes", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (answer,) = json.loads(result.output)
    assert answer["service"] == "membership"
    assert answer["done"] is True
    assert answer["keys_destroyed"] == 2  # identity, contact
    pool = membership.service.context.pool
    record = await pool.fetchrow("SELECT * FROM privacy_erasures WHERE person_id = $1", person_id)
    assert record is not None
    assert (record["actor"], record["legal_basis"]) == ("admin-hoa", "Law 91/2025/QH15 art. 14")

    async def name_erased() -> bool:
        query = QueryEnvelope(
            type="PersonProfile", actor=ADMIN, params={"person_id": str(person_id)}
        )
        reply = await ask(nats_client, "membership", query, transport=membership.transport)
        return reply.ok and reply.result is not None and reply.result["full_name"] == ERASED_TEXT

    await wait_until(name_erased, timeout=20, message="the profile still shows the name")


async def test_only_a_national_admin_may_erase(
    membership: SealedMembership, nats_client: Client
) -> None:
    envelope = CommandEnvelope(
        command_id=new_id(),
        type="EraseSubject",
        actor=Actor(user_id="u", role="club_secretary"),
        payload={"person_id": str(new_id()), "reason": "x", "legal_basis": "y"},
    )

    reply = await send_command(nats_client, "membership", envelope, transport=membership.transport)

    assert reply.problem is not None
    assert reply.problem.status == 403


async def _ishc(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_a_service_with_a_transport_key_refuses_clear_requests_and_answers_no_data(
    membership: SealedMembership, nats_client: Client
) -> None:
    club_id = await membership.club(nats_client, "CLB Kín")
    query = QueryEnvelope(type="ClubRoster", actor=ADMIN, params={"club_id": str(club_id)})

    clear = await ask(nats_client, "membership", query)

    assert not clear.ok and clear.problem is not None
    assert clear.problem.type.endswith("transport")
    assert clear.result is None

    async def sealed_answered() -> bool:  # the roster shows the club once projected
        return (await ask(nats_client, "membership", query, transport=membership.transport)).ok

    await wait_until(sealed_answered, timeout=20, message="the sealed request got no answer")


async def test_the_access_report_lists_reads_of_the_person_operators_reveals_and_grants(
    membership: SealedMembership,
    nats_client: Client,
    infrastructure: Infrastructure,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person_id, access_id = new_id(), new_id()
    read = AccessRecorded(
        access_id=access_id, read_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        principal_id="secretary-7", role="club_secretary", route="membership.PersonProfile",
        purpose="data_subject_request", subject_ids=(person_id,),
        field_names=("birth_date", "full_name"), categories=("identity",),
    )  # fmt: skip
    envelope = EventEnvelope(
        event_id=access_id, type=AccessRecorded.wire_name(), schema_version=1,
        stream_id=f"access-{access_id}", stream_type="access", version=1,
        recorded_at=read.read_at,
        metadata=EventMetadata(correlation_id=access_id, actor=ADMIN, occurred_at=read.read_at),
        data=read.model_dump(mode="json"),
    )  # fmt: skip
    await nats_client.jetstream().publish(
        AccessRecorded.subject(),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(access_id)},
    )
    await membership.service.context.pool.execute(
        "INSERT INTO privacy_reveals (operator, target, stream_id, person_id)"
        " VALUES ('ops-an', $1, $1, $2)",
        f"member-{person_id}",
        person_id,
    )
    # Advocacy was handed the person's identity key under its grant (the owner records it).
    await membership.service.context.pool.execute(
        "INSERT INTO privacy_grants_served (reader, subject, category, person_id)"
        " VALUES ('advocacy', $1, 'identity', $2)",
        f"member-{person_id}",
        person_id,
    )
    monkeypatch.setenv("ISHC_TRANSPORT_KEY", membership.transport.to_text())
    report: dict[str, Any] = {}

    async def listed() -> bool:
        result = await _ishc(
            "subjects", "access-report", str(person_id), "--since", "2026-03-01",
            "--nats-url", infrastructure.nats_url, "--json",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        report.update(json.loads(result.output))
        return bool(report["reads"])

    await wait_until(listed, timeout=20, interval=0.2, message="the read never reached the audit")
    (found,) = report["reads"]
    assert (found["principal_id"], found["purpose"]) == ("secretary-7", "data_subject_request")
    assert found["field_names"] == ["birth_date", "full_name"]
    assert [r["operator"] for r in report["operator_reveals"]] == ["ops-an"]
    assert [(g["reader"], g["category"], g["times"]) for g in report["service_grants"]] == [
        ("advocacy", "identity", 1)
    ]
    later = await _ishc(
        "subjects", "access-report", str(person_id), "--since", "2026-03-03",
        "--nats-url", infrastructure.nats_url, "--json",
    )  # fmt: skip
    assert json.loads(later.output)["reads"] == []
