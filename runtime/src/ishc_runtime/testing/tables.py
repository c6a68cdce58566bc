"""Comparing read-model tables, e.g. a rebuilt projection against the live one."""

from __future__ import annotations

from typing import Any

from ishc_runtime.store.pool import Connection


async def table_rows(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    """Every row of `table`, as tuples in a stable order (all columns, ascending)."""
    rows = await conn.fetch(f'SELECT * FROM "{table}" ORDER BY 1, 2')
    return sorted((tuple(row.values()) for row in rows), key=repr)
