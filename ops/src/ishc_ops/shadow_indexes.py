"""The constraints and indexes of a shadow table: the live table's, under the same names, so
they keep them after the switch. The indexes a projection lists in `deferred_indexes` (only
readers use them) are built after the bulk load: building an index once over the loaded rows
costs less than maintaining it row by row. Unique indexes and those behind a constraint are
always built first: `ON CONFLICT` and the constraints need them while rows arrive."""

from __future__ import annotations

from collections.abc import Collection

from ishc_runtime.store.pool import Connection

_INDEXES = (
    "SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,"
    " i.indisunique AS is_unique, con.conname AS constraint_name,"
    " pg_get_constraintdef(con.oid) AS constraint_definition"
    " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
    " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid"
    " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')"
    " WHERE i.indrelid = to_regclass($1) ORDER BY con.conname NULLS LAST, ic.relname"
)


async def copy_indexes(
    conn: Connection, table: str, live_schema: str, shadow_schema: str, deferred: Collection[str]
) -> list[str]:
    """Give `table` of `shadow_schema` (created `LIKE` the live one `EXCLUDING INDEXES`) the
    constraints and indexes of `table` in `live_schema`; return the statements of the
    deferred ones, to run after the load. Runs inside the caller's transaction."""
    # Quoted as Postgres quotes them in the definitions it prints.
    qualify = "SELECT format('%I.%I', $1::text, $2::text)"
    live = str(await conn.fetchval(qualify, live_schema, table))
    shadow = str(await conn.fetchval(qualify, shadow_schema, table))
    # Definitions name tables with their schema only when it is off the search path: take
    # them with an empty one, so every name is qualified and can be pointed at the shadow.
    saved = await conn.fetchval("SELECT current_setting('search_path')")
    await conn.execute("SELECT set_config('search_path', 'pg_catalog', true)")
    try:
        rows = await conn.fetch(_INDEXES, live)
    finally:
        await conn.execute("SELECT set_config('search_path', $1, true)", saved)
    later = []
    for row in rows:
        if row["constraint_name"] is not None:
            await conn.execute(
                f"ALTER TABLE {shadow} ADD CONSTRAINT {_quote(row['constraint_name'])}"
                f" {row['constraint_definition']}"
            )
            continue
        statement = _onto(str(row["definition"]), live, shadow)
        if row["name"] in deferred and not row["is_unique"]:
            later.append(statement)
        else:
            await conn.execute(statement)
    return later


def _onto(definition: str, live: str, shadow: str) -> str:
    """`CREATE INDEX name ON [ONLY] live USING ...` made to build on `shadow`."""
    for on in (" ON ONLY ", " ON "):
        if f"{on}{live} " in definition:
            return definition.replace(f"{on}{live} ", f"{on}{shadow} ", 1)
    msg = f"cannot point the index definition at the shadow table: {definition}"
    raise ValueError(msg)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
