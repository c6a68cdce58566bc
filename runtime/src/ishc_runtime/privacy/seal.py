"""Sealing: the sensitive fields of an event payload encrypted with their subject's data key.

A sealed value is the text `ishc:s1:<base64url(nonce ‖ AES-GCM ciphertext)>` in place of the
field's JSON value; the associated data binds it to its stream and field, so a ciphertext
moved to another person or field does not open. `None` stays `None` (nothing to hide but
absence). Everything else in the payload (ids, dates of club facts, amounts) stays readable:
routing, projections of other services and operators work on it unchanged.

Opening happens where an event is decoded: loading an aggregate, applying a projection. A
value whose key is destroyed (erased) or was never granted to this service reads back as the
field's erased stand-in (`None`, or `"[erased]"` for a required name), never as an error: a
replay or a rebuild after an erasure goes through.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

import asyncpg
import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import JsonValue
from pydantic_core import from_json, to_json

from ishc_contracts import Event, EventRegistry, erased_value, sensitive_categories
from ishc_contracts.privacy import granted
from ishc_runtime.privacy.keys import ERASED, KeyRef, SubjectKeys
from ishc_runtime.privacy.master import NoMasterKeys
from ishc_runtime.store.pool import Connection

log = structlog.get_logger(__name__)

PREFIX = "ishc:s1:"
_NONCE_BYTES = 12
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
# Where the person a stream is about is found in its events, first match wins.
_PERSON_FIELDS = ("person_id", "member_id")


class SubjectErased(Exception):
    """Personal data about a person whose data was erased: refused, not sealed anew."""

    def __init__(self, subject: str, category: str) -> None:
        self.subject = subject
        self.category = category
        super().__init__(f"the {category} data of {subject} was erased; none is kept any more")


class KeySource(Protocol):
    """Where another service's data keys come from: its owner, under a grant."""

    async def fetch(self, refs: Sequence[KeyRef]) -> Mapping[KeyRef, bytes | None]: ...


# A type's sensitive fields: (name, category, erased stand-in).
_Plan = tuple[tuple[str, str, Any], ...]


class _Opened:
    """The values this process opened lately, as their JSON text, by (stream, field, sealed
    text); bounded, emptied when full. It lets a projection keep an event's ciphertext in its
    column (same key, same subject) instead of sealing the value a second time."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._found: dict[tuple[str, str, str], bytes] = {}

    def remember(self, stream_id: str, name: str, sealed: str, plain: bytes) -> None:
        if len(self._found) >= self.size:
            self._found.clear()
        self._found[stream_id, name, sealed] = plain

    def get(self, stream_id: str, name: str, sealed: str) -> bytes | None:
        return self._found.get((stream_id, name, sealed))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def value_context(subject: str, name: str) -> bytes:
    """The associated data of a sealed event value: its stream and field."""
    return f"{subject}\x1f{name}".encode()


@dataclass
class Privacy:
    """One service's field encryption: its own key table, and the key sources of the other
    services whose data it is granted."""

    service: str
    keys: SubjectKeys
    registry: EventRegistry
    granted: dict[str, KeySource] = field(default_factory=dict)
    foreign: dict[str, SubjectKeys] = field(default_factory=dict)
    _plans: dict[str, _Plan | None] = field(default_factory=dict, init=False, repr=False)
    _opened: _Opened = field(default_factory=_Opened, init=False, repr=False)
    # Fetches no key at all (`without_keys`): every sealed value reads as its stand-in.
    _keyless: bool = field(default=False, init=False, repr=False)

    @classmethod
    def without_keys(cls, pool: asyncpg.Pool, service: str, registry: EventRegistry) -> Privacy:
        """Opens nothing: every sealed value reads as its erased stand-in (valid for its
        type), so a sealing service's events still decode without its master keys (a tool
        showing a state masked, or folding a read model that keeps the events' ciphertext)."""
        privacy = cls(service, SubjectKeys(pool, NoMasterKeys()), registry)
        privacy._keyless = True
        return privacy

    # -- writing -------------------------------------------------------------------------

    def needed(self, stream_id: str, events: Iterable[Event]) -> dict[KeyRef, UUID | None]:
        """The keys sealing `events` of `stream_id` needs, with the person each is about."""
        wanted: dict[KeyRef, UUID | None] = {}
        for event in events:
            categories = sensitive_categories(type(event))
            if not categories:
                continue
            person = next(
                (v for n in _PERSON_FIELDS if isinstance(v := getattr(event, n, None), UUID)),
                None,
            )
            for name, category in categories.items():
                if getattr(event, name) is not None:
                    ref = KeyRef(stream_id, category)
                    wanted[ref] = wanted.get(ref) or person
        return wanted

    async def prepare(
        self, streams: Iterable[tuple[str, Sequence[Event]]], connection: Connection | None
    ) -> None:
        """Create (or load) the keys that sealing these writes needs, before the append."""
        wanted: dict[KeyRef, UUID | None] = {}
        for stream_id, events in streams:
            wanted.update(self.needed(stream_id, events))
        if wanted:
            await self.keys.ensure(wanted, connection)

    def seal(self, stream_id: str, event: Event) -> str:
        """The event's payload as JSON text, its sensitive fields sealed (keys prepared)."""
        categories = sensitive_categories(type(event))
        if not categories:
            return to_json(event).decode()
        data = event.model_dump(mode="json")
        for name, category in categories.items():
            value = data.get(name)
            if value is None:
                continue
            cipher = self.keys.cached(KeyRef(stream_id, category))
            if cipher is ERASED:
                raise SubjectErased(stream_id, category)
            if not isinstance(cipher, AESGCM):
                msg = f"no data key for {stream_id}/{category}: prepare() was not awaited"
                raise RuntimeError(msg)
            data[name] = seal_value(cipher, stream_id, name, value)
        return to_json(data).decode()

    # -- reading -------------------------------------------------------------------------

    def _plan(self, wire_name: str) -> _Plan | None:
        """The sensitive fields of `wire_name` as (name, category, erased stand-in), or None
        when it has none or is unknown here: worked out once per type, not per event."""
        try:
            return self._plans[wire_name]
        except KeyError:
            pass
        plan: _Plan | None = None
        if self.registry.knows(wire_name):
            model = self.registry.model(wire_name)
            fields = tuple(
                (name, category, erased_value(model, name))
                for name, category in sensitive_categories(model).items()
            )
            plan = fields or None
        self._plans[wire_name] = plan
        return plan

    def _refs(self, wire_name: str, stream_id: str, data: Mapping[str, Any]) -> set[KeyRef]:
        plan = self._plan(wire_name)
        if plan is None:
            return set()
        return {KeyRef(stream_id, c) for n, c, _ in plan if is_sealed(data.get(n))}

    async def load(
        self,
        items: Iterable[tuple[str, str, Mapping[str, Any]]],
        opens: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """Fetch the keys needed to open `(wire_name, stream_id, data)` items: own keys from
        the table, other services' from their owner when granted. Call before `open`.
        `opens`: per type, the only fields that will be opened (absent: all)."""
        if self._keyless:
            return
        # Plain (subject, category) tuples while collecting (a batch has hundreds), typed
        # `KeyRef`s only for the keys to fetch; they hash and compare alike.
        by_owner: dict[str, set[tuple[str, str]]] = {}
        for wire_name, stream_id, data in items:
            plan = self._plan(wire_name)
            if plan is None:
                continue
            wanted = by_owner.get(wire_name.split(".", 1)[0])
            only = opens.get(wire_name) if opens else None
            for name, category, _ in plan:
                if only is not None and name not in only:
                    continue
                value = data.get(name)
                if isinstance(value, str) and value.startswith(PREFIX):
                    if wanted is None:
                        wanted = by_owner.setdefault(wire_name.split(".", 1)[0], set())
                    wanted.add((stream_id, category))
        for owner, wanted in by_owner.items():
            keys = self.keys_of(owner)
            refs = [KeyRef(*ref) for ref in (keys.stale_among(wanted) if keys else wanted)]
            if refs:
                await self.fetch(owner, refs)

    def forget_granted(self) -> None:
        """Drop every key other services handed over: the next read asks them again, and
        what they erased meanwhile reads as erased."""
        self.foreign.clear()

    def keys_of(self, owner: str) -> SubjectKeys | None:
        """The cache holding `owner`'s data keys here (None: nothing granted yet)."""
        return self.keys if owner == self.service else self.foreign.get(owner)

    async def fetch(self, owner: str, refs: Iterable[KeyRef]) -> None:
        """Cache `owner`'s keys of `refs`: from the table when they are ours, from the owner
        under its grant otherwise (the rest stays unreadable here)."""
        if owner == self.service:
            await self.keys.load(refs)
            return
        source = self.granted.get(owner)
        allowed = granted(owner, self.service)
        if source is None or not allowed:
            return
        cache = self.foreign.setdefault(owner, SubjectKeys(self.keys.pool, self.keys.master))
        missing = [r for r in refs if r.category in allowed and cache.stale(r)]
        if missing:
            found = await source.fetch(sorted(set(missing)))
            # What the owner did not hand over is not ours to read: erased, for us.
            cache.accept({ref: found.get(ref) for ref in missing})

    def open(
        self,
        wire_name: str,
        stream_id: str,
        data: dict[str, Any],
        only: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """`data` with its sealed values opened, or replaced by the erased stand-in where the
        key is destroyed, unknown or not granted here. Clear values (events stored before
        their fields were marked) pass through. `only`: open these fields, leave every other
        sealed one as its erased stand-in without decrypting it (a projection that does not
        read it, or keeps its ciphertext)."""
        plan = self._plan(wire_name)
        if plan is None:
            return data
        opened: dict[str, Any] | None = None
        keys: SubjectKeys | None = None
        for name, category, erased in plan:
            value = data.get(name)
            if not (isinstance(value, str) and value.startswith(PREFIX)):
                continue
            if opened is None:
                opened = dict(data)
            if only is not None and name not in only:
                opened[name] = erased
                continue
            if keys is None:
                keys = self.keys_of(wire_name.split(".", 1)[0])
            cipher = keys.cached(KeyRef(stream_id, category)) if keys else None
            opened[name] = erased
            if isinstance(cipher, AESGCM):
                try:
                    plain = _decrypt(cipher, stream_id, name, value)
                except UnreadableValue:
                    # Tampered with or moved: as unreadable as an erased value, and as
                    # harmless to a replay; said loudly (names only, never values).
                    log.warning("privacy.unreadable", type=wire_name, stream=stream_id, field=name)
                    continue
                opened[name] = from_json(plain)
                self._opened.remember(stream_id, name, value, plain)
        return data if opened is None else opened

    def opened_as(self, stream_id: str, name: str, sealed: str) -> bytes | None:
        """The JSON text `sealed` (field `name` of `stream_id`) opened to here lately, if
        it did: a projection storing that same value keeps the event's ciphertext instead of
        sealing it again (`columns.protect`)."""
        return self._opened.get(stream_id, name, sealed)

    async def open_all(
        self, wire_name: str, stream_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        await self.load([(wire_name, stream_id, data)])
        return self.open(wire_name, stream_id, data)


def seal_value(cipher: AESGCM, subject: str, name: str, value: JsonValue) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    body = nonce + cipher.encrypt(nonce, to_json(value), value_context(subject, name))
    return PREFIX + base64.urlsafe_b64encode(body).decode()


class UnreadableValue(ValueError):
    """A sealed value that its key does not open: tampered with, or moved from elsewhere."""


def _decrypt(cipher: AESGCM, subject: str, name: str, sealed: str) -> bytes:
    """The JSON text inside the `ishc:s1:` value `sealed` of field `name` of `subject`."""
    return decrypt_body(cipher, value_context(subject, name), sealed[len(PREFIX) :], name, subject)


def decrypt_body(cipher: AESGCM, context: bytes, encoded: str, name: str, subject: str) -> bytes:
    """AES-GCM open of base64url(nonce ‖ ciphertext) bound to `context`."""
    try:
        # A truncated or corrupted value is as unreadable as one sealed with another key.
        body = binascii.a2b_base64(encoded.encode("ascii").translate(_FROM_URLSAFE))
        return cipher.decrypt(body[:_NONCE_BYTES], body[_NONCE_BYTES:], context)
    except (InvalidTag, binascii.Error, ValueError):
        msg = f"sealed {name} of {subject} does not open with its key"
        raise UnreadableValue(msg) from None


def open_value(cipher: AESGCM, subject: str, name: str, sealed: str) -> JsonValue:
    opened: JsonValue = from_json(_decrypt(cipher, subject, name, sealed))
    return opened


__all__ = [
    "ERASED",
    "PREFIX",
    "KeySource",
    "Privacy",
    "SubjectErased",
    "UnreadableValue",
    "is_sealed",
    "open_value",
    "seal_value",
]
