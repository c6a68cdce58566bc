"""Upgrading a reporting database built before a migration keeps what it had."""

from __future__ import annotations

import shutil
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

import asyncpg
import pytest

from ishc_contracts import new_id
from ishc_runtime.store.migrations import MigrationSource, migrate

pytestmark = pytest.mark.integration

MIGRATIONS = files("reporting.projections").joinpath("sql")


def migrations_up_to(last: str, into: Path) -> MigrationSource:
    """Reporting's migrations as a release that ended with `last` shipped them."""
    with as_file(MIGRATIONS) as folder:
        for sql in sorted(Path(folder).glob("*.sql")):
            if sql.name <= last:
                shutil.copy(sql, into / sql.name)
    return MigrationSource("reporting", into)


async def test_member_households_start_from_the_households_members_have(
    database_dsn: str, tmp_path: Path
) -> None:
    await migrate(database_dsn, migrations_up_to("0003_report_indexes.sql", tmp_path))
    moved, alone = new_id(), new_id()
    household = new_id()
    conn = await asyncpg.connect(database_dsn)
    try:
        for member, home in ((moved, household), (alone, None)):
            await conn.execute(
                "INSERT INTO rpt_members (member_id, club_id, person_id, household_id, sex,"
                " joined_on) VALUES ($1, $2, $3, $4, 'female', $5)",
                member,
                new_id(),
                new_id(),
                home,
                date(2024, 3, 1),
            )

        applied = await migrate(
            database_dsn, migrations_up_to("0004_member_households.sql", tmp_path)
        )

        assert applied == ["reporting/0004_member_households.sql"]
        rows = await conn.fetch(
            "SELECT member_id, version, valid_from, household_id FROM rpt_member_households"
        )
        assert {tuple(r) for r in rows} == {
            (moved, 0, date(2024, 3, 1), household),
            (alone, 0, date(2024, 3, 1), None),
        }
        # Kept in one place only: members no longer carry today's household.
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'rpt_members'"
        )
        assert "household_id" not in {c["column_name"] for c in columns}
    finally:
        await conn.close()
