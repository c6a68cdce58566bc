"""Data keys: one per (data subject, category) in the owning service's `privacy_keys` table.

The subject of a sealed value is the stream it was written to (`member-…`, `case-…`): every
write knows it, and so does every reader (the stream id travels in the envelope). The person
a stream is about is recorded next to its keys, so erasing a person destroys the keys of all
of their streams (crypto-shredding, DESIGN §8). A key per category lets another service be
granted one kind of data (advocacy reads birth dates, never phone numbers).

Keys are stored wrapped by the master key (`master.py`); unwrapped keys live only in a
bounded in-process cache. A cached key is trusted for `max_age` seconds, then read again:
a service runs as several instances, and a key one of them destroys (erasure, retention)
must stop opening and sealing in the others too, within that time. A destroyed key is
cached for good: nothing brings it back.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Final, NamedTuple
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ishc_runtime.privacy.master import KEY_BYTES, MasterKeys
from ishc_runtime.store.pool import Connection


class KeyRef(NamedTuple):
    """A data key's row: (subject, category). A tuple, so that the cache look-ups on every
    sealed value of every event hash and compare in C."""

    subject: str
    category: str

    def context(self) -> bytes:
        """Binds a wrapped key to its row: a wrapped key copied to another row won't open."""
        return f"{self.subject}\x1f{self.category}".encode()


class _Erased:
    def __repr__(self) -> str:
        return "ERASED"


ERASED: Final = _Erased()
"""The cache's entry for a destroyed key: the values it sealed are gone for good."""

Cipher = AESGCM | _Erased

# How long an instance trusts a key it read: the longest another instance of the service may
# go on opening (or sealing with) a key destroyed elsewhere.
DEFAULT_MAX_AGE = 30.0

# Every destruction is announced to the service's other instances (`destructions.py`) by a
# notification that Postgres delivers when, and only if, the destruction commits.
DESTROYED_CHANNEL: Final = "ishc_keys_destroyed"
_DESTROYING = (
    "WITH destroyed AS ("
    " UPDATE privacy_keys SET wrapped = NULL, master_key_id = NULL,"
    " destroyed_at = clock_timestamp()"
    " WHERE {where} AND wrapped IS NOT NULL RETURNING subject, category)"
    " SELECT subject, category,"
    f" pg_notify('{DESTROYED_CHANNEL}', subject || chr(31) || category) FROM destroyed"
)


class SubjectKeys:
    """The key table of one service, with a cache of unwrapped keys."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        master: MasterKeys,
        *,
        cache_size: int = 100_000,
        max_age: float = DEFAULT_MAX_AGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.master = master
        self.cache_size = cache_size
        self.max_age = max_age
        self._monotonic = monotonic
        # ref -> (cipher, the instant after which a live key is read again)
        self._cache: OrderedDict[KeyRef, tuple[Cipher, float]] = OrderedDict()

    def cached(self, ref: KeyRef) -> Cipher | None:
        """The cached key of `ref` (None: not cached), whatever its age: for the work that
        `load` or `ensure` just prepared."""
        found = self._cache.get(ref)
        if found is None:
            return None
        self._cache.move_to_end(ref)
        return found[0]

    def stale(self, ref: KeyRef) -> bool:
        """Whether `ref` must be read (again): not cached, or a live key cached longer than
        `max_age` ago (another instance may have destroyed it since)."""
        found = self._cache.get(ref)
        if found is None:
            return True
        cipher, until = found
        return cipher is not ERASED and self._monotonic() > until

    def stale_among(self, refs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The `refs` that `stale` would say must be read (one clock reading for all)."""
        now = self._monotonic()
        cache = self._cache
        found: list[tuple[str, str]] = []
        for ref in refs:
            entry = cache.get(ref)  # type: ignore[call-overload]
            if entry is None or (entry[0] is not ERASED and now > entry[1]):
                found.append(ref)
        return found

    def _remember(self, ref: KeyRef, cipher: Cipher) -> None:
        self._cache[ref] = (cipher, self._monotonic() + self.max_age)
        self._cache.move_to_end(ref)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def destroyed_elsewhere(self, ref: KeyRef) -> None:
        """Another instance destroyed `ref`'s key: a cached copy reads as erased from now on
        (one not cached is read from the table when needed, and found destroyed there)."""
        if ref in self._cache:
            self._remember(ref, ERASED)

    def expire_live(self) -> None:
        """Have every cached live key read again before its next use: destructions may have
        gone unheard (while nobody listened). Work that holds a key keeps using it."""
        for ref, (cipher, _) in self._cache.items():
            if cipher is not ERASED:
                self._cache[ref] = (cipher, float("-inf"))

    def forget(self, refs: Iterable[KeyRef] | None = None) -> None:
        """Drop cached keys (all, or `refs`): after an erasure, or to measure cold reads."""
        if refs is None:
            self._cache.clear()
            return
        for ref in refs:
            self._cache.pop(ref, None)

    async def ensure(
        self, wanted: Mapping[KeyRef, UUID | None], connection: Connection | None = None
    ) -> None:
        """Make sure every key in `wanted` exists (created with its person when missing) and is
        cached. Two writers creating the same key agree on one: the insert skips conflicts and
        both read back the row that won."""
        missing = [ref for ref in wanted if self.stale(ref)]
        if not missing:
            return
        rows = [
            (
                ref.subject,
                ref.category,
                wanted[ref],
                self.master.current_id,
                self.master.wrap(secrets.token_bytes(KEY_BYTES), ref.context()),
            )
            for ref in missing
        ]
        db = connection or self.pool
        await db.execute(
            "INSERT INTO privacy_keys (subject, category, person_id, master_key_id, wrapped)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::bytea[])"
            " ON CONFLICT (subject, category) DO NOTHING",
            *(list(column) for column in zip(*rows, strict=True)),
        )
        await self.load(missing, connection)

    async def load(self, refs: Iterable[KeyRef], connection: Connection | None = None) -> None:
        """Cache the keys of `refs` that exist (destroyed ones as ERASED); unknown ones stay
        uncached, and read as unreadable."""
        wanted = [ref for ref in refs if self.stale(ref)]
        if not wanted:
            return
        rows = await (connection or self.pool).fetch(
            "SELECT k.subject, k.category, k.master_key_id, k.wrapped FROM privacy_keys k"
            " JOIN unnest($1::text[], $2::text[]) AS w(subject, category)"
            " ON k.subject = w.subject AND k.category = w.category",
            [ref.subject for ref in wanted],
            [ref.category for ref in wanted],
        )
        for row in rows:
            ref = KeyRef(row["subject"], row["category"])
            self._remember(ref, self._open(ref, row["master_key_id"], row["wrapped"]))

    def _open(self, ref: KeyRef, master_key_id: str | None, wrapped: bytes | None) -> Cipher:
        if wrapped is None or master_key_id is None:
            return ERASED
        return AESGCM(self.master.unwrap(master_key_id, wrapped, ref.context()))

    async def raw(self, refs: Iterable[KeyRef]) -> dict[KeyRef, bytes | None]:
        """The clear data keys of `refs` that exist (None: destroyed), for a granted reader."""
        refs = list(refs)
        rows = await self.pool.fetch(
            "SELECT k.subject, k.category, k.master_key_id, k.wrapped FROM privacy_keys k"
            " JOIN unnest($1::text[], $2::text[]) AS w(subject, category)"
            " ON k.subject = w.subject AND k.category = w.category",
            [ref.subject for ref in refs],
            [ref.category for ref in refs],
        )
        found: dict[KeyRef, bytes | None] = {}
        for row in rows:
            ref = KeyRef(row["subject"], row["category"])
            wrapped, master_key_id = row["wrapped"], row["master_key_id"]
            found[ref] = (
                None
                if wrapped is None or master_key_id is None
                else self.master.unwrap(master_key_id, wrapped, ref.context())
            )
        return found

    async def record_served(self, reader: str, refs: Iterable[KeyRef]) -> None:
        """Record that `reader` was handed the keys of `refs` (access report): one row per
        (reader, stream, category), with the person the stream is about."""
        refs = list(refs)
        if not refs:
            return
        # Rows are taken in one order for every caller: two grants answered at once that
        # share keys would otherwise lock the same rows in opposite orders (a deadlock).
        await self.pool.execute(
            "INSERT INTO privacy_grants_served AS g (reader, subject, category, person_id)"
            " SELECT $1, k.subject, k.category, k.person_id FROM privacy_keys k"
            " JOIN unnest($2::text[], $3::text[]) AS w(subject, category)"
            " ON k.subject = w.subject AND k.category = w.category"
            " ORDER BY k.subject, k.category"
            " ON CONFLICT (reader, subject, category) DO UPDATE"
            " SET last_served_at = clock_timestamp(), times = g.times + 1",
            reader,
            [ref.subject for ref in refs],
            [ref.category for ref in refs],
        )

    def accept(self, keys: Mapping[KeyRef, bytes | None]) -> None:
        """Cache keys granted by their owner (None: destroyed there)."""
        for ref, key in keys.items():
            self._remember(ref, ERASED if key is None else AESGCM(key))

    async def destroy(self, person_id: UUID, subjects: Iterable[str] = ()) -> int:
        """Destroy every key of `person_id` and of `subjects` (streams about them). Returns how
        many keys were destroyed. The rows stay, emptied, so a reader can tell "erased" from
        "never existed"."""
        subjects = list(subjects)
        rows = await self.pool.fetch(
            _DESTROYING.format(where="(person_id = $1 OR subject = ANY($2::text[]))"),
            person_id,
            subjects,
        )
        for row in rows:
            self._remember(KeyRef(row["subject"], row["category"]), ERASED)
        return len(rows)

    async def destroy_key(
        self, subject: str, category: str, connection: Connection | None = None
    ) -> int:
        """Destroy the one key of (`subject`, `category`), when its retention ends: the
        stream's other categories stay readable. 1 if destroyed now, 0 if gone already."""
        rows = await (connection or self.pool).fetch(
            _DESTROYING.format(where="subject = $1 AND category = $2"), subject, category
        )
        if rows:
            self._remember(KeyRef(subject, category), ERASED)
        return len(rows)

    async def subjects_of(self, person_id: UUID) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT subject FROM privacy_keys WHERE person_id = $1 ORDER BY subject",
            person_id,
        )
        return [row["subject"] for row in rows]

    async def verify(self) -> int:
        """Unwrap one data key per master key id in use: a wrong or missing master key fails
        here, at start-up, with a clear error, before anything is written with it. Returns
        the number of master key ids checked."""
        rows = await self.pool.fetch(
            "SELECT DISTINCT ON (master_key_id) subject, category, master_key_id, wrapped"
            " FROM privacy_keys WHERE wrapped IS NOT NULL ORDER BY master_key_id, subject"
        )
        for row in rows:
            ref = KeyRef(row["subject"], row["category"])
            self.master.unwrap(row["master_key_id"], row["wrapped"], ref.context())
        return len(rows)

    async def rotate(self, *, batch: int = 1000) -> int:
        """Re-wrap every data key not under the current master key. Events are untouched:
        they are sealed with the data keys, which do not change. Returns keys re-wrapped."""
        done = 0
        current = self.master.current_id
        while True:
            async with self.pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(
                    "SELECT subject, category, master_key_id, wrapped FROM privacy_keys"
                    " WHERE wrapped IS NOT NULL AND master_key_id <> $1"
                    " ORDER BY subject, category LIMIT $2 FOR UPDATE SKIP LOCKED",
                    current,
                    batch,
                )
                if not rows:
                    return done
                updates = []
                for row in rows:
                    ref = KeyRef(row["subject"], row["category"])
                    key = self.master.unwrap(row["master_key_id"], row["wrapped"], ref.context())
                    updates.append(
                        (ref.subject, ref.category, self.master.wrap(key, ref.context()))
                    )
                await conn.executemany(
                    "UPDATE privacy_keys SET wrapped = $3, master_key_id = $4"
                    " WHERE subject = $1 AND category = $2",
                    [(*update, current) for update in updates],
                )
                done += len(rows)
