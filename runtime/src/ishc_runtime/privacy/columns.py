"""Personal data in projection tables: stored sealed, opened when a query answers.

A projection that must show a name keeps it sealed with the key the event's value was
sealed with (the owner's data key of that stream and category; another service's under its
grant), as `ishc:c1:<owner>:<category>:<subject>:<base64url>`: the column says whose key
opens it, so a query needs nothing else. Destroying the key at the owner (erasure) makes
every copy unreadable, in every service: a query then shows the erased stand-in.

Handlers call `protect(env, "full_name", value)` while the projection runner applies a batch
(it makes the runner's `Privacy` current); without privacy (tests, tools) the value is kept
as it is. Queries call `await reveal(privacy, rows, "full_name")`. Sorting by such a column
happens after revealing, in Python: the table only holds ciphertexts.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

import asyncpg
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ishc_contracts import ERASED_TEXT, EventEnvelope, sensitive_categories
from ishc_runtime.privacy.keys import KeyRef
from ishc_runtime.privacy.seal import Privacy

log = structlog.get_logger(__name__)

COLUMN_PREFIX = "ishc:c1:"
_NONCE_BYTES = 12
_ACTIVE: ContextVar[Privacy | None] = ContextVar("ishc_privacy", default=None)


@contextmanager
def sealing_with(privacy: Privacy | None) -> Iterator[None]:
    """Make `privacy` the one `protect` seals with (the projection runner, per batch)."""
    token = _ACTIVE.set(privacy)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _context(subject: str, category: str) -> bytes:
    return f"{subject}\x1f{category}\x1fcolumn".encode()


def protect(env: EventEnvelope, field: str, value: object) -> object:
    """`value` (of the event's sensitive `field`) as it may be stored in a projection."""
    privacy = _ACTIVE.get()
    if privacy is None or value is None or value == ERASED_TEXT:
        return value
    model = privacy.registry.model(env.type)
    category = sensitive_categories(model).get(field)
    if category is None:
        msg = f"{env.type}.{field} is not marked sensitive: store it as it is"
        raise ValueError(msg)
    keys = privacy.keys_of(env.service)
    cipher = keys.cached(KeyRef(env.stream_id, category)) if keys else None
    if not isinstance(cipher, AESGCM):
        # Not readable here (erased, or not granted): nothing to keep, nothing to leak.
        return ERASED_TEXT if isinstance(value, str) else None
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(value, ensure_ascii=False, default=str).encode()
    body = nonce + cipher.encrypt(nonce, plain, _context(env.stream_id, category))
    encoded = base64.urlsafe_b64encode(body).decode()
    return f"{COLUMN_PREFIX}{env.service}:{category}:{env.stream_id}:{encoded}"


def protect_text(env: EventEnvelope, field: str, value: object) -> str | None:
    """`protect` for a text column: sealed, or, where nothing is sealed, the value as text
    (a date as ISO 8601). Read it back with `reveal` and `as_date`."""
    kept = protect(env, field, value)
    if kept is None or isinstance(kept, str):
        return kept
    return kept.isoformat() if isinstance(kept, date) else json.dumps(kept)


def as_date(value: object) -> date | None:
    """A revealed date column: the date, or None when unknown or erased."""
    if value is None or value == ERASED_TEXT:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _parts(value: object) -> tuple[str, KeyRef, str] | None:
    if not isinstance(value, str) or not value.startswith(COLUMN_PREFIX):
        return None
    owner, category, rest = value[len(COLUMN_PREFIX) :].split(":", 2)
    subject, encoded = rest.rsplit(":", 1)
    return owner, KeyRef(subject, category), encoded


async def reveal(
    privacy: Privacy | None, rows: Sequence[Mapping[str, Any] | asyncpg.Record], *columns: str
) -> list[dict[str, Any]]:
    """`rows` (records or mappings, returned as dicts) with their sealed `columns` opened,
    or `"[erased]"` where the key is destroyed or not granted here."""
    found = [dict(row) for row in rows]
    if privacy is None:
        return found
    wanted: dict[str, set[KeyRef]] = {}
    for row in found:
        for column in columns:
            parts = _parts(row.get(column))
            if parts is not None:
                wanted.setdefault(parts[0], set()).add(parts[1])
    for owner, refs in wanted.items():
        await privacy.fetch(owner, refs)
    for row in found:
        for column in columns:
            parts = _parts(row.get(column))
            if parts is not None:
                row[column] = _open(privacy, *parts)
    return found


def _open(privacy: Privacy, owner: str, ref: KeyRef, encoded: str) -> Any:
    keys = privacy.keys_of(owner)
    cipher = keys.cached(ref) if keys else None
    if not isinstance(cipher, AESGCM):
        return ERASED_TEXT
    try:
        body = base64.urlsafe_b64decode(encoded)
        plain = cipher.decrypt(
            body[:_NONCE_BYTES], body[_NONCE_BYTES:], _context(ref.subject, ref.category)
        )
    except (InvalidTag, binascii.Error, ValueError):
        # Tampered with, moved, or corrupted: shown as erased, and said (names only).
        log.warning(
            "privacy.unreadable_column", owner=owner, subject=ref.subject, category=ref.category
        )
        return ERASED_TEXT
    return json.loads(plain)
