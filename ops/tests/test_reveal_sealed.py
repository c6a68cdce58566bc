"""`--reveal` opens what the service sealed when the operator holds its master keys; without
them it shows a stand-in, never ciphertext; an erased person reads erased; a wrong key is a
clear error that shows nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client
from typer.testing import CliRunner, Result

from ishc_contracts import ERASED_TEXT
from ishc_ops.cli import app
from ishc_ops.masking import SEALED
from ishc_runtime.privacy import PREFIX, LocalMasterKeys, new_key

from .sealed_membership import SealedMembership, membership

pytestmark = pytest.mark.integration

__all__ = ["membership"]  # the fixture, used by name

PHONE = "0987654321"


@pytest.fixture(autouse=True)
def no_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMBERSHIP_MASTER_KEYS", raising=False)


async def admitted(membership: SealedMembership, nc: Client) -> tuple[str, str]:
    """A member with a name, birth date and phone: (the person's stream, the person's id)."""
    club_id = await membership.club(nc, "CLB Đống Đa")
    _, person_id = await membership.admit(
        nc, club_id, "Trần Văn Bình", sex="male", birth_date="1948-07-09", phone=PHONE
    )
    return f"member-{person_id}", str(person_id)


def joined(shown: dict[str, Any]) -> dict[str, Any]:
    (event,) = [e for e in shown["events"] if e["type"] == "membership.MemberJoined"]
    data: dict[str, Any] = event["data"]
    return data


async def ishc(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_a_reveal_opens_sealed_fields_only_with_the_services_master_keys(
    membership: SealedMembership, nats_client: Client, database_dsn: str, tmp_path: Path
) -> None:
    stream, _ = await admitted(membership, nats_client)
    show = ("events", "show", "membership", stream, "--database-url", database_dsn, "--json")
    # The store itself holds ciphertext: what the reveal has to open.
    stored = await membership.service.context.pool.fetchval(
        "SELECT data ->> 'phone' FROM events WHERE stream_id = $1 AND version = 1", stream
    )
    assert stored.startswith(PREFIX)

    masked = await ishc(*show)

    assert masked.exit_code == 0, (masked.output, repr(masked.exception))
    assert joined(json.loads(masked.stdout))["phone"] == "***"
    assert json.loads(masked.stdout)["state"]["value"]["full_name"] == "***"
    assert PREFIX not in masked.stdout

    without_keys = await ishc(*show, "--reveal")

    assert without_keys.exit_code == 0, (without_keys.output, repr(without_keys.exception))
    assert PREFIX not in without_keys.stdout
    assert joined(json.loads(without_keys.stdout))["phone"] == SEALED
    assert json.loads(without_keys.stdout)["state"]["value"]["full_name"] == SEALED
    assert "sealed values stay sealed" in without_keys.stderr

    key_file = tmp_path / "membership.master.json"
    key_file.write_text(membership.master.to_json())
    with_keys = await ishc(*show, "--reveal", "--master-keys-file", str(key_file))

    assert with_keys.exit_code == 0, with_keys.output
    revealed = json.loads(with_keys.stdout)
    assert joined(revealed)["phone"] == PHONE
    assert joined(revealed)["full_name"] == "Trần Văn Bình"
    assert revealed["state"]["value"]["full_name"] == "Trần Văn Bình"
    assert PREFIX not in with_keys.stdout

    tail = await ishc(
        "events", "tail", "membership", "--stream-type", "member", "--reveal",
        "--master-keys-file", str(key_file), "--database-url", database_dsn, "--json",
    )  # fmt: skip
    assert tail.exit_code == 0, tail.output
    assert PHONE in tail.stdout
    assert PREFIX not in tail.stdout
    # Both reveals are on record, before anything was shown.
    assert (
        await membership.service.context.pool.fetchval(
            "SELECT count(*) FROM privacy_reveals WHERE stream_id = $1", stream
        )
        == 2
    )


async def test_a_wrong_master_key_is_a_clear_error_that_shows_nothing(
    membership: SealedMembership, nats_client: Client, database_dsn: str, tmp_path: Path
) -> None:
    stream, _ = await admitted(membership, nats_client)
    key_file = tmp_path / "wrong.master.json"
    key_file.write_text(LocalMasterKeys("k1", {"k1": new_key()}).to_json())

    refused = await ishc(
        "events", "show", "membership", stream, "--reveal", "--master-keys-file", str(key_file),
        "--database-url", database_dsn, "--json",
    )  # fmt: skip

    assert refused.exit_code == 2, refused.output
    assert "does not open the data keys" in refused.stderr
    assert refused.stdout == ""


async def test_an_erased_person_reads_erased_even_with_the_master_keys(
    membership: SealedMembership, nats_client: Client, database_dsn: str, tmp_path: Path
) -> None:
    stream, person_id = await admitted(membership, nats_client)
    await membership.command(
        nats_client,
        "EraseSubject",
        {"person_id": person_id, "reason": "request of the person", "legal_basis": "Law 91"},
    )
    key_file = tmp_path / "membership.master.json"
    key_file.write_text(membership.master.to_json())

    shown = await ishc(
        "events", "show", "membership", stream, "--reveal", "--master-keys-file", str(key_file),
        "--database-url", database_dsn, "--json",
    )  # fmt: skip

    assert shown.exit_code == 0, shown.output
    assert joined(json.loads(shown.stdout))["full_name"] == ERASED_TEXT
    assert PHONE not in shown.stdout
