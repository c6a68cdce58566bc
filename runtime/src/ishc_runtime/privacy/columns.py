"""Personal data in projection tables: stored sealed, opened when a query answers.

A projection that must show a name keeps it sealed with the key the event's value was
sealed with (the owner's data key of that stream and category; another service's under its
grant), as `ishc:c1:<owner>:<category>:<subject>:<base64url>`: the column says whose key
opens it, so a query needs nothing else. When the value stored is the event's own value
(the usual case: a name copied into a read model), the column keeps the event's ciphertext
as it travelled, `ishc:c2:<owner>:<category>:<subject>:<field>:<base64url>` (opened with
the event's associated data, `subject␟field`): no second encryption on catch-up, the same
key, so the same erasure. Destroying the key at the owner (erasure) makes
every copy unreadable, in every service: a query then shows the erased stand-in.

Handlers call `protect(env, "full_name", value)` while the projection runner applies a batch
(it makes the runner's `Privacy` current); without privacy (tests, tools) the value is kept
as it is. Queries call `await reveal(privacy, rows, "full_name")`. Sorting by such a column
happens after revealing, in Python: the table only holds ciphertexts.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, NamedTuple

import asyncpg
import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic_core import to_json

from ishc_contracts import ERASED_TEXT, EventEnvelope, sensitive_categories
from ishc_runtime.privacy.keys import KeyRef
from ishc_runtime.privacy.seal import PREFIX, Privacy, UnreadableValue, decrypt_body, value_context

log = structlog.get_logger(__name__)

COLUMN_PREFIX = "ishc:c1:"
# The event's own ciphertext kept in a column (see the module's docstring).
EVENT_COLUMN_PREFIX = "ishc:c2:"
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
    sealed = env.data.get(field)
    if (
        isinstance(sealed, str)
        and sealed.startswith(PREFIX)
        and privacy.opened_as(env.stream_id, field, sealed) == to_json(value, fallback=str)
    ):
        # The value is the event's own (it opened to exactly this JSON here): keep its
        # ciphertext, sealed with the same key, rather than sealing it again.
        return _event_column(env, category, field, sealed)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(value, ensure_ascii=False, default=str).encode()
    body = nonce + cipher.encrypt(nonce, plain, _context(env.stream_id, category))
    encoded = base64.urlsafe_b64encode(body).decode()
    return f"{COLUMN_PREFIX}{env.service}:{category}:{env.stream_id}:{encoded}"


def keep(env: EventEnvelope, field: str) -> object:
    """The event's sensitive `field` as a projection may store it, without opening it: its
    ciphertext as it travelled (`ishc:c2:`), which a query opens with the owner's key where
    that key is live and granted, and reads as erased everywhere else, exactly like the
    event. For a handler registered with `opens` leaving `field` out: it needs no key and
    never sees the value. A value that travelled in clear (no privacy, an event from before
    the field was marked) is stored as `protect` would store it."""
    privacy = _ACTIVE.get()
    value = env.data.get(field)
    if privacy is None:
        return value
    category = sensitive_categories(privacy.registry.model(env.type)).get(field)
    if category is None:
        msg = f"{env.type}.{field} is not marked sensitive: store it as it is"
        raise ValueError(msg)
    if isinstance(value, str) and value.startswith(PREFIX):
        return _event_column(env, category, field, value)
    return protect(env, field, value)


def _event_column(env: EventEnvelope, category: str, field: str, sealed: str) -> str:
    return (
        f"{EVENT_COLUMN_PREFIX}{env.service}:{category}:{env.stream_id}:{field}:"
        + sealed[len(PREFIX) :]
    )


def keep_text(env: EventEnvelope, field: str) -> str | None:
    """`keep` for a text column (see `protect_text`)."""
    kept = keep(env, field)
    if kept is None or isinstance(kept, str):
        return kept
    return json.dumps(kept)


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


def as_flag(value: object) -> bool | None:
    """A revealed yes/no column (`keep_text` of a boolean field): the flag, or None when
    unknown or erased."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    return None


class _Parts(NamedTuple):
    owner: str
    ref: KeyRef
    encoded: str
    # The event field whose ciphertext the column keeps (`ishc:c2:`); None for `ishc:c1:`.
    field: str | None


def _parts(value: object) -> _Parts | None:
    if not isinstance(value, str):
        return None
    try:
        if value.startswith(COLUMN_PREFIX):
            owner, category, rest = value[len(COLUMN_PREFIX) :].split(":", 2)
            subject, encoded = rest.rsplit(":", 1)
            return _Parts(owner, KeyRef(subject, category), encoded, None)
        if value.startswith(EVENT_COLUMN_PREFIX):
            owner, category, rest = value[len(EVENT_COLUMN_PREFIX) :].split(":", 2)
            subject, field, encoded = rest.rsplit(":", 2)
            return _Parts(owner, KeyRef(subject, category), encoded, field)
    except ValueError:
        return _Parts("", KeyRef("", ""), "", None)  # mangled: reads as erased
    return None


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
            if parts is not None and parts.owner:
                wanted.setdefault(parts.owner, set()).add(parts.ref)
    for owner, refs in wanted.items():
        await privacy.fetch(owner, refs)
    for row in found:
        for column in columns:
            parts = _parts(row.get(column))
            if parts is not None:
                row[column] = _open(privacy, parts)
    return found


def _open(privacy: Privacy, parts: _Parts) -> Any:
    ref = parts.ref
    keys = privacy.keys_of(parts.owner) if parts.owner else None
    cipher = keys.cached(ref) if keys else None
    if not isinstance(cipher, AESGCM):
        return ERASED_TEXT
    context = (
        _context(ref.subject, ref.category)
        if parts.field is None
        else value_context(ref.subject, parts.field)
    )
    try:
        plain = decrypt_body(cipher, context, parts.encoded, parts.field or "", ref.subject)
    except UnreadableValue:
        # Tampered with, moved, or corrupted: shown as erased, and said (names only).
        log.warning(
            "privacy.unreadable_column",
            owner=parts.owner,
            subject=ref.subject,
            category=ref.category,
        )
        return ERASED_TEXT
    return json.loads(plain)
