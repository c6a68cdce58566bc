"""Shadow tables get the live table's constraints and indexes under the same names (so the
switch keeps them); indexes a projection defers are built after the load, unique ones never."""

from __future__ import annotations

import pytest

from ishc_ops.shadow_indexes import copy_indexes

from .conftest import World

pytestmark = pytest.mark.integration

INDEXES = (
    "SELECT c.relname, regexp_replace(pg_get_indexdef(c.oid), ' ON .* USING ', ' ON t USING ') AS def"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " WHERE i.indrelid = to_regclass($1) ORDER BY 1"
)


async def test_constraints_and_indexes_are_copied_by_name_and_deferred_ones_left_for_later(
    world: World,
) -> None:
    async with world.pool.acquire() as conn, conn.transaction():
        await conn.execute("CREATE SCHEMA live_ix")
        await conn.execute('CREATE SCHEMA "shadow ix"')
        await conn.execute(
            "CREATE TABLE live_ix.visits (id uuid PRIMARY KEY, club uuid NOT NULL,"
            " day date NOT NULL, code text, CONSTRAINT visits_code_key UNIQUE (code))"
        )
        await conn.execute("CREATE INDEX visits_club ON live_ix.visits (club, day)")
        await conn.execute(
            "CREATE INDEX visits_recent ON live_ix.visits (day) WHERE day > '2025-01-01'"
        )
        await conn.execute("CREATE UNIQUE INDEX visits_club_day ON live_ix.visits (club, day)")
        await conn.execute(
            'CREATE TABLE "shadow ix".visits (LIKE live_ix.visits INCLUDING ALL EXCLUDING INDEXES)'
        )

        later = await copy_indexes(
            conn, "visits", "live_ix", "shadow ix", {"visits_club", "visits_club_day"}
        )

        live = await conn.fetch(INDEXES, "live_ix.visits")
        shadow = await conn.fetch(INDEXES, '"shadow ix".visits')
        assert {r["relname"] for r in shadow} == {r["relname"] for r in live} - {"visits_club"}
        assert later == ['CREATE INDEX visits_club ON "shadow ix".visits USING btree (club, day)']
        for statement in later:
            await conn.execute(statement)
        assert await conn.fetch(INDEXES, '"shadow ix".visits') == live
        constraints = await conn.fetch(
            "SELECT conname, contype::text AS contype FROM pg_constraint"
            " WHERE conrelid = '\"shadow ix\".visits'::regclass AND contype IN ('p', 'u')"
            " ORDER BY 1"
        )
        assert [(c["conname"], c["contype"]) for c in constraints] == [
            ("visits_code_key", "u"),
            ("visits_pkey", "p"),
        ]
        await conn.execute("DROP SCHEMA live_ix CASCADE")
        await conn.execute('DROP SCHEMA "shadow ix" CASCADE')
