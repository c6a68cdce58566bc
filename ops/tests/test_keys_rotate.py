"""`ishc keys rotate`: data keys re-wrapped under the new master key; events untouched."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from ishc_ops.cli import app
from ishc_runtime.privacy import KeyRef, LocalMasterKeys, SubjectKeys, WrongMasterKey, new_key
from ishc_runtime.store.migrations import migrate

pytestmark = pytest.mark.integration


async def _ishc(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def test_rotation_rewraps_every_data_key_and_the_old_master_key_can_go(
    database_dsn: str, tmp_path: Path
) -> None:
    await migrate(database_dsn)
    old = LocalMasterKeys("k-old", {"k-old": new_key()})
    refs = [KeyRef(f"member-{n}", "identity") for n in range(3)]
    pool = await asyncpg.create_pool(database_dsn, min_size=1, max_size=2)
    try:
        await SubjectKeys(pool, old).ensure(dict.fromkeys(refs))
        before = await SubjectKeys(pool, old).raw(refs)
        rotated = old.with_new_current("k-new")
        document = tmp_path / "membership.master.json"
        document.write_text(rotated.to_json(), encoding="utf-8")

        result = await _ishc(
            "keys", "rotate", "membership", "--master-keys-file", str(document),
            "--database-url", database_dsn, "--json",
        )  # fmt: skip

        assert result.exit_code == 0, result.output
        answer = json.loads(result.output)
        assert (answer["rewrapped"], answer["left_under_old_keys"]) == (3, 0)
        only_new = LocalMasterKeys("k-new", {"k-new": rotated.keys["k-new"]})
        assert await SubjectKeys(pool, only_new).raw(refs) == before  # same data keys
        impostor = LocalMasterKeys("k-new", {"k-new": new_key()})
        with pytest.raises(WrongMasterKey):
            await SubjectKeys(pool, impostor).verify()
    finally:
        await pool.close()


async def test_a_missing_key_document_is_a_usage_error(database_dsn: str) -> None:
    result = await _ishc("keys", "rotate", "finance", "--database-url", database_dsn)

    assert result.exit_code == 2
    assert "FINANCE_MASTER_KEYS" in result.output
