"""Recording an operator's reveal of sensitive fields in the store that was read.

A reveal is recorded before anything is shown, in the service's `privacy_reveals` table
(runtime migration 0013): durable with the data it is about, and found by the person's id
(the stream's person, from `privacy_keys`). A reveal that cannot be recorded shows nothing.
"""

from __future__ import annotations

import socket

import asyncpg

from ishc_ops.targets import FAILED, OpsError

_RECORD = """
INSERT INTO privacy_reveals (operator, host, target, stream_id, person_id)
VALUES ($1, $2, $3, $4::text,
        (SELECT person_id FROM privacy_keys
          WHERE $4::text IS NOT NULL AND subject = $4::text AND person_id IS NOT NULL LIMIT 1))
RETURNING reveal_id
"""


async def record_reveal(
    pool: asyncpg.Pool, operator: str, target: str, stream_id: str | None = None
) -> int:
    """The reveal's id; `OpsError` when it could not be recorded (then show nothing)."""
    try:
        reveal_id: int = await pool.fetchval(
            _RECORD, operator, socket.gethostname(), target, stream_id
        )
    except asyncpg.UndefinedTableError as error:
        msg = "this store cannot record reveals yet (start the service's new version): not shown"
        raise OpsError(msg, FAILED) from error
    except (OSError, asyncpg.PostgresError) as error:
        msg = f"the reveal could not be recorded, so nothing is shown: {error}"
        raise OpsError(msg, FAILED) from error
    return reveal_id
