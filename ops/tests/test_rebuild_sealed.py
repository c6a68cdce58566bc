"""A service that seals personal data is rebuilt with its master keys: the rebuilt read
models equal the live ones, names kept as the events' ciphertext. Without the keys, a read
model that reads personal data in clear is refused, naming what it reads: it would keep
erased stand-ins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from ishc_runtime.privacy import EVENT_COLUMN_PREFIX
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.tables import table_rows
from ishc_runtime.testing.waiting import wait_until
from membership.definition import definition

from .conftest import World
from .sealed_membership import SealedMembership, membership

pytestmark = pytest.mark.integration

__all__ = ["membership"]  # the fixture, used by name


async def members_admitted(membership: SealedMembership, nc: Client, count: int) -> None:
    club_id = await membership.club(nc, "CLB Ba Đình")
    for number in range(count):
        await membership.admit(
            nc, club_id, f"Nguyễn Văn Số {number}", sex="male", birth_date="1950-01-02",
            phone="0912000111", ethnic_minority=number % 2 == 0,
        )  # fmt: skip


async def test_a_sealed_service_is_rebuilt_with_its_master_keys_and_refused_without(
    membership: SealedMembership,
    nats_client: Client,
    database_dsn: str,
    infrastructure: Infrastructure,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEMBERSHIP_MASTER_KEYS", raising=False)
    await members_admitted(membership, nats_client, 3)
    pool = membership.service.context.pool

    async def roster_of_three() -> bool:
        count: int = await pool.fetchval("SELECT count(*) FROM membership_roster")
        return count == 3

    await wait_until(roster_of_three, timeout=30, message="the roster never had the members")
    async with pool.acquire() as conn:
        live: dict[str, Any] = {"membership_roster": await table_rows(conn, "membership_roster")}
    names = await pool.fetch("SELECT full_name FROM membership_roster")
    assert all(row["full_name"].startswith(EVENT_COLUMN_PREFIX) for row in names)
    cli = World(
        "membership", database_dsn, infrastructure.nats_url, definition(), pool, nats_client
    )

    refused = await cli.ishc("projections", "rebuild", "membership", "membership_roster", "--yes")

    assert refused.exit_code == 2, refused.output
    assert "membership_roster: " in refused.stderr
    assert "membership.HouseholdPovertyStatusRecorded" in refused.stderr
    assert "--master-keys-file" in refused.stderr

    key_file = tmp_path / "membership.master.json"
    key_file.write_text(membership.master.to_json())
    result = await cli.ishc_json(
        "projections", "rebuild", "membership", "membership_roster", "--yes",
        "--master-keys-file", str(key_file),
    )  # fmt: skip

    assert result["switched"] is True
    assert all(row["same"] for row in result["comparison"]), result["comparison"]
    async with pool.acquire() as conn:
        assert await table_rows(conn, "membership_roster") == live["membership_roster"]
