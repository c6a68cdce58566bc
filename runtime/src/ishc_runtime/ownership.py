"""Ownership in the command path: every object a command names resolves, from data, to the
club(s) it belongs to, and a command acting for one club on another's objects is refused with
the answer an unknown id gets (issue #18, ADR 0033).

What each command names is declared once in the contracts (`ishc_contracts.ownership`); which
club an object belongs to is kept by each service in its directory table `<service>_ownership`
(kind, object id, club), filled from the events the service sees (`GRANTS`): a person belongs
to the clubs of their active memberships, a member, case, loan or claim to its club. Rows are
written twice, idempotently: by the command path right after its own append (so an object can
be named by the very next command) and by a projection of the service's and membership's
streams (so the directory is rebuilt, backfilled and learns other services' objects). Each row
remembers the stream and version of the event that last set it: a late replay of an older
event (a join projected after the leave written through) changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from ishc_contracts import Command, CommandEnvelope, EventEnvelope
from ishc_contracts.catalogue import GRANT_RULES, OWNERSHIP
from ishc_contracts.errors import NotInScope
from ishc_contracts.ownership import Check, Grant, GrantRule, Owned, grants_of
from ishc_runtime.projections.projection import Projection, Write
from ishc_runtime.store.eventstore import StreamWrite
from ishc_runtime.store.pool import Connection

_RESOLVED = (Check.STREAMS, Check.REFS, Check.REFS_OR_NEW)


class Ownership:
    """One service's directory and the check of its commands against it."""

    def __init__(
        self,
        service: str,
        sources: Sequence[str],
        *,
        declared: Mapping[str, Owned] | None = None,
        rules: Mapping[str, GrantRule] | None = None,
    ) -> None:
        self.service = service
        self.table = f"{service}_ownership"
        self.sources = tuple(sources)
        self.declared = (
            dict(declared)
            if declared is not None
            else {name: owned for (svc, name), owned in OWNERSHIP.items() if svc == service}
        )
        self.rules = dict(rules) if rules is not None else dict(GRANT_RULES)
        self._upsert = (
            f"INSERT INTO {self.table} (kind, object_id, club_id, source, version, active)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (kind, object_id, club_id, source) DO UPDATE"
            " SET version = EXCLUDED.version, active = EXCLUDED.active"
            f" WHERE {self.table}.version < EXCLUDED.version"
        )
        self._lookup = (
            f"SELECT kind, object_id, club_id FROM {self.table}"
            " WHERE active AND (kind, object_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::uuid[]))"
        )

    # -- the check ------------------------------------------------------------------------

    async def check(self, conn: Connection, envelope: CommandEnvelope, payload: Command) -> None:
        """Refuse (NotInScope) a command acting for a club on what is not that club's.

        A request with no acting club comes from a national role or the system, which act on
        every club. A command type with no declaration is refused: a new command is closed
        until it says what it names (the contract tests say so first).
        """
        acting = envelope.club_id
        if acting is None:
            return
        owned = self.declared.get(envelope.type)
        if owned is None:
            raise NotInScope(field="type")
        wanted: list[tuple[str, Check, str, UUID]] = []
        for path, ref, value in owned.values(payload):
            field = path.replace("[]", "")
            if ref.check is Check.WITHIN:
                if value != acting:
                    raise NotInScope(field=field)
            elif ref.check in _RESOLVED and ref.kind is not None:
                wanted.append((field, ref.check, ref.kind, value))
        if not wanted:
            return
        clubs = await self.clubs_of(conn, [(kind, value) for _f, _c, kind, value in wanted])
        for field, check, kind, value in wanted:
            found = clubs.get((kind, value), set())
            if check is Check.REFS_OR_NEW and not found:
                continue  # a new object: the command introduces it in the acting club
            if acting not in found:
                raise NotInScope(field=field)

    async def clubs_of(
        self, conn: Connection, objects: Iterable[tuple[str, UUID]]
    ) -> dict[tuple[str, UUID], set[UUID]]:
        """The clubs each (kind, id) belongs to now; absent: unknown to this service."""
        wanted = list(dict.fromkeys(objects))
        rows = await conn.fetch(
            self._lookup, [kind for kind, _ in wanted], [object_id for _, object_id in wanted]
        )
        clubs: dict[tuple[str, UUID], set[UUID]] = defaultdict(set)
        for row in rows:
            clubs[(row["kind"], row["object_id"])].add(row["club_id"])
        return clubs

    async def belongs(self, conn: Connection, kind: str, object_id: UUID, club: UUID) -> bool:
        return club in (await self.clubs_of(conn, [(kind, object_id)])).get((kind, object_id), ())

    # -- the directory ----------------------------------------------------------------------

    def _rows(self, stream_id: str, version: int, grants: Sequence[Grant]) -> list[tuple[Any, ...]]:
        return [
            (g.kind, g.object_id, g.club_id, stream_id, version, g.active)
            for g in grants
            if g.club_id is not None
        ]

    async def record(self, conn: Connection, writes: Sequence[StreamWrite]) -> None:
        """What the events just appended place in a club, written at once (see the module)."""
        rows: list[tuple[Any, ...]] = []
        for write in writes:
            for offset, event in enumerate(write.events, start=1):
                grants = grants_of(event, self.rules)
                rows += self._rows(write.stream_id, write.expected_version + offset, grants)
        if rows:
            await conn.executemany(self._upsert, rows)

    def projection(self) -> Projection:
        """The directory as a projection of the service's sources (rebuild, backfill, and the
        objects of other services)."""
        projection = Projection(
            name=self.table, sources=self.sources, policy="stop", tables=[self.table]
        )

        def writer(env: EventEnvelope, event: Any) -> list[Write]:
            return [
                Write(self._upsert, row)
                for row in self._rows(env.stream_id, env.version, grants_of(event, self.rules))
            ]

        for wire_name in self.rules:
            projection.writers[wire_name] = writer
            # Rules read ids and clubs, never personal data: no key is fetched, nothing
            # opened, and an erasure changes nothing here.
            projection.opens[wire_name] = frozenset()
        return projection
