"""A club's streams as a portable, checksummed bundle, and importing one idempotently.

Format (`ishc-bundle/1`): gzip'd JSON lines. The first line is a header (club, time,
events per service), then one line per event (`service`, `event`: the stored row), in each
service's store order, and a last line with the SHA-256 of every line before it. Import
checks the format and checksum before it touches anything, and inserts with the events'
own ids, versions and recording times (`ON CONFLICT (event_id) DO NOTHING`): importing the
same bundle again adds nothing. The sequencer numbers imported events and the relay
publishes them; projections fold them as any other events.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from ishc_ops.targets import FAILED, OpsError

FORMAT = "ishc-bundle/1"

_CLUB_EVENTS = """
SELECT event_id::text AS event_id, stream_id, stream_type, version, type, schema_version,
       recorded_at, metadata, data
FROM events
WHERE stream_id IN (SELECT DISTINCT stream_id FROM events WHERE metadata ->> 'club_id' = $1)
ORDER BY seq NULLS LAST, pos
"""

_INSERT = """
INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data,
                    metadata, recorded_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::integer[], $5::text[],
                     $6::integer[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])
ON CONFLICT (event_id) DO NOTHING
"""


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str).encode() + b"\n"


async def club_events(pool: asyncpg.Pool, club: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(_CLUB_EVENTS, club)
    return [{**dict(r), "recorded_at": r["recorded_at"].isoformat()} for r in rows]


def write_bundle(path: Path, club: str, events: dict[str, list[dict[str, Any]]]) -> str:
    """Write the bundle; return its checksum."""
    digest = hashlib.sha256()
    with gzip.open(path, "wb") as out:

        def put(line: bytes) -> None:
            digest.update(line)
            out.write(line)

        put(
            _line(
                {
                    "format": FORMAT,
                    "club_id": club,
                    "created_at": datetime.now(UTC).isoformat(),
                    "services": {service: len(rows) for service, rows in events.items()},
                }
            )
        )
        for service, rows in events.items():
            for row in rows:
                put(_line({"service": service, "event": row}))
        checksum = f"sha256:{digest.hexdigest()}"
        out.write(_line({"checksum": checksum, "events": sum(map(len, events.values()))}))
    return checksum


@dataclass(frozen=True)
class Bundle:
    club_id: str
    created_at: str
    events: dict[str, list[dict[str, Any]]]
    checksum: str


def read_bundle(path: Path) -> Bundle:
    """Parse and verify; raise OpsError (exit 1) when anything is off."""
    try:
        with gzip.open(path, "rb") as source:
            lines = source.read().splitlines(keepends=True)
    except (OSError, EOFError) as error:
        raise OpsError(f"{path}: not a readable bundle ({error})", FAILED) from error
    if len(lines) < 2:
        raise OpsError(f"{path}: truncated bundle", FAILED)
    try:
        header = json.loads(lines[0])
        trailer = json.loads(lines[-1])
        body = [json.loads(line) for line in lines[1:-1]]
    except ValueError as error:
        raise OpsError(f"{path}: damaged bundle ({error})", FAILED) from error
    if header.get("format") != FORMAT:
        raise OpsError(f"{path}: format {header.get('format')!r}, expected {FORMAT}", FAILED)
    digest = hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    if trailer.get("checksum") != f"sha256:{digest}" or trailer.get("events") != len(body):
        raise OpsError(f"{path}: checksum mismatch: the bundle is damaged or altered", FAILED)
    events: dict[str, list[dict[str, Any]]] = {s: [] for s in header.get("services", {})}
    for item in body:
        events.setdefault(item["service"], []).append(item["event"])
    return Bundle(header["club_id"], header["created_at"], events, trailer["checksum"])


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def import_events(
    pool: asyncpg.Pool,
    rows: list[dict[str, Any]],
    progress: Callable[[int], None] = lambda _: None,
    batch: int = 500,
) -> int:
    """Insert what the store lacks, all in one transaction; return how many were new."""
    added = 0
    async with pool.acquire() as conn, conn.transaction():
        for chunk in _batches(rows, batch):
            try:
                status = await conn.execute(
                    _INSERT,
                    [r["event_id"] for r in chunk],
                    [r["stream_id"] for r in chunk],
                    [r["stream_type"] for r in chunk],
                    [r["version"] for r in chunk],
                    [r["type"] for r in chunk],
                    [r["schema_version"] for r in chunk],
                    [r["data"] for r in chunk],
                    [r["metadata"] for r in chunk],
                    [datetime.fromisoformat(r["recorded_at"]) for r in chunk],
                )
            except asyncpg.UniqueViolationError as error:
                msg = (
                    "a stream in the bundle conflicts with different events already in this"
                    f" store ({error.detail or error}); nothing was imported"
                )
                raise OpsError(msg, FAILED) from error
            added += int(status.rsplit(" ", 1)[1])
            progress(len(chunk))
        await conn.execute("SELECT pg_notify('ishc_events', '')")
    return added
