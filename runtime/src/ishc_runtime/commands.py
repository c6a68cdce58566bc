"""The command path: load → decide → append, idempotent and retried on conflicts.

Handlers in services stay a few lines: they name the aggregate and the stream, and pass a
pure `decide` closure. Everything about versions, retries, metadata and idempotency is here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ishc_contracts import CommandEnvelope, Event, EventMetadata, new_id
from ishc_contracts.errors import DomainError, NotInScope
from ishc_runtime.aggregates import Aggregate, Loaded, Repository, S
from ishc_runtime.idempotency import KeyScope
from ishc_runtime.observability import metrics, tracing
from ishc_runtime.ownership import Ownership
from ishc_runtime.store.eventstore import ConcurrencyError, EventStore, StreamWrite
from ishc_runtime.store.pool import Connection

_NAMES_A_CLUB: dict[type, bool] = {}


def _club_of(state: object) -> UUID | None:
    # A state without the attribute would make getattr raise and catch an AttributeError on
    # every command (pydantic's __getattr__): which state types have one is asked once.
    kind = type(state)
    names = _NAMES_A_CLUB.get(kind)
    if names is None:
        # A field or a property of the type; a model open to extra fields may carry one too.
        fields = getattr(kind, "model_fields", None)
        open_to_extra = getattr(kind, "model_config", {}).get("extra") == "allow"
        names = _NAMES_A_CLUB[kind] = (
            fields is None or "club_id" in fields or hasattr(kind, "club_id") or open_to_extra
        )
    club: UUID | None = getattr(state, "club_id", None) if names else None
    return club


def _owning_club(command: CommandEnvelope, loaded: Mapping[str, Loaded[Any]]) -> UUID | None:
    """The club the loaded streams belong to (states with a `club_id`), checked against the
    club the request acts for. The full check is `ishc_runtime.ownership`, before the handler
    runs; this one stays as a last line for streams whose state names its club, and answers
    the same way (an object elsewhere is one that does not exist)."""
    owners = {club for item in loaded.values() if (club := _club_of(item.state))}
    if command.club_id is not None and owners - {command.club_id}:
        raise NotInScope()
    return next(iter(owners)) if len(owners) == 1 else None


class _CacheBehind(Exception):
    """An append on a cached state was refused: another instance wrote that stream since."""


@dataclass(frozen=True)
class Target:
    """One stream a command reads and may write."""

    aggregate: Aggregate[Any]
    stream_id: str


Decision = Mapping[str, Sequence[Event]]


class CommandProcessor:
    """Runs decisions against one service's store."""

    def __init__(
        self,
        store: EventStore,
        repository: Repository,
        *,
        max_attempts: int = 5,
        ownership: Ownership | None = None,
        trust_cache: bool = True,
    ) -> None:
        self.store = store
        self.repository = repository
        self.max_attempts = max_attempts
        self.trust_cache = trust_cache
        self.ownership = ownership

    async def handle(
        self,
        command: CommandEnvelope,
        aggregate: Aggregate[S],
        stream_id: str,
        decide: Callable[[S], Sequence[Event]],
    ) -> dict[str, Any]:
        """Single-stream command: `decide(state) -> events`."""
        return await self.handle_many(
            command,
            [Target(aggregate, stream_id)],
            lambda states: {stream_id: decide(states[stream_id])},
        )

    async def handle_many(
        self,
        command: CommandEnvelope,
        targets: Sequence[Target],
        decide: Callable[[Mapping[str, Any]], Decision],
    ) -> dict[str, Any]:
        """Multi-stream command appended atomically (a loan and its fund).

        Returns the command's result: the new version of each written stream and the event ids,
        plus `duplicate: true` when the command_id was handled before (nothing appended).
        """
        with tracing.span("command", command=command.type, command_id=str(command.command_id)):
            # The first try decides on the states this instance holds in memory, without a
            # read: the append's expected versions are the cached ones, so a cache left behind
            # by another instance's write is a conflict, and that retry reads the store (the
            # events after the cached version). Catching up is not counted as an attempt.
            trust_cache = self.trust_cache
            attempt = 1
            while True:
                try:
                    outcome = await self._attempt(command, targets, decide, trust_cache)
                except _CacheBehind:
                    trust_cache = False
                    metrics.COMMAND_RETRIES.inc()
                    continue
                except ConcurrencyError:
                    if attempt == self.max_attempts:
                        metrics.COMMANDS.labels(command.type, "conflict").inc()
                        raise
                    attempt += 1
                    metrics.COMMAND_RETRIES.inc()
                    # Jitter spreads racing writers so the retry does not collide again.
                    await asyncio.sleep(random.uniform(0, 0.005 * attempt))  # noqa: S311
                    continue
                metrics.COMMANDS.labels(command.type, "ok").inc()
                return outcome

    async def _load(
        self, targets: Sequence[Target], conn: Connection, trust_cache: bool
    ) -> tuple[dict[str, Loaded[Any]], set[str]]:
        """The states to decide on, and the streams whose state came from memory unchecked."""
        loaded: dict[str, Loaded[Any]] = {}
        unchecked: set[str] = set()
        for target in targets:
            found = (
                self.repository.cached(target.aggregate, target.stream_id) if trust_cache else None
            )
            if found is None:
                found = await self.repository.load(
                    target.aggregate, target.stream_id, connection=conn
                )
            else:
                unchecked.add(target.stream_id)
            loaded[target.stream_id] = found
        return loaded, unchecked

    async def _attempt(
        self,
        command: CommandEnvelope,
        targets: Sequence[Target],
        decide: Callable[[Mapping[str, Any]], Decision],
        trust_cache: bool,
    ) -> dict[str, Any]:
        scope = KeyScope.of(command)
        # One connection for the whole attempt: each pool round trip would cost a release.
        async with self.store.pool.acquire() as conn:
            loaded, unchecked = await self._load(targets, conn, trust_cache)
            while True:
                try:
                    owner = _owning_club(command, loaded)
                except NotInScope:
                    if unchecked:
                        loaded, unchecked = await self._load(targets, conn, False)
                        continue
                    raise
                try:
                    decision = decide({sid: item.state for sid, item in loaded.items()})
                except DomainError:
                    if unchecked:
                        # A refusal must stand on the store's state, not on a cache that
                        # may be behind (an append elsewhere may have made it allowed).
                        loaded, unchecked = await self._load(targets, conn, False)
                        continue
                    # A repeat of a command that succeeded may now break a rule ("already a
                    # member"): the first answer stands.
                    previous = await self.store.command_result(
                        command.command_id, conn, scope=scope
                    )
                    if previous is not None:
                        return {**previous, "duplicate": True}
                    metrics.COMMANDS.labels(command.type, "rejected").inc()
                    raise
                writes, result = self._writes(command, targets, loaded, decision, unchecked)
                appends = any(write.events for write in writes)
                if appends or not unchecked:
                    break
                # Nothing to append proves nothing about the store: decide again on it.
                loaded, unchecked = await self._load(targets, conn, False)
            if not appends:
                # Nothing to do now; if it is because this very command was applied before
                # (a replayed offline upload), say so, with the first result.
                previous = await self.store.command_result(command.command_id, conn, scope=scope)
                if previous is not None:
                    return {**previous, "duplicate": True}
                return {**result, "duplicate": False}
            previous = await self._append(
                command, targets, writes, owner, result, scope, conn, unchecked
            )
            if previous is not None:
                return {**previous, "duplicate": True}
            if self.ownership is not None:
                # Not in the append's transaction: the directory projection writes the same
                # rows later if this is lost, and a retry of the command finds its result.
                await self.ownership.record(conn, writes)
            await self._after_append(targets, loaded, decision, conn)
            return {**result, "duplicate": False}

    async def _append(
        self,
        command: CommandEnvelope,
        targets: Sequence[Target],
        writes: list[StreamWrite],
        owner: UUID | None,
        result: dict[str, Any],
        scope: KeyScope,
        conn: Connection,
        unchecked: set[str],
    ) -> dict[str, Any] | None:
        try:
            return await self.store.append(
                writes,
                self._metadata(command, owner),
                command_id=command.command_id,
                result=result,
                scope=scope,
                connection=conn,
            )
        except ConcurrencyError as conflict:
            if conflict.stream_id not in unchecked:
                raise  # a race with a writer since this attempt's read: the usual retry
            for target in targets:
                if target.stream_id == conflict.stream_id:
                    self.repository.written_elsewhere(target.aggregate, target.stream_id)
            raise _CacheBehind from conflict

    def _writes(
        self,
        command: CommandEnvelope,
        targets: Sequence[Target],
        loaded: Mapping[str, Loaded[Any]],
        decision: Decision,
        unchecked: set[str],
    ) -> tuple[list[StreamWrite], dict[str, Any]]:
        """The appends of a decision. A stream only read, whose state came from memory, is
        written with no events: the append then checks that it is still at that version, so
        no decision rests on a state older than one read in this attempt would be."""
        writes, streams, event_ids = [], {}, []
        for target in targets:
            events = list(decision.get(target.stream_id, ()))
            before = loaded[target.stream_id].version
            if not events:
                if target.stream_id in unchecked:
                    writes.append(
                        StreamWrite(target.stream_id, target.aggregate.stream_type, before, ())
                    )
                continue  # read only: not a stream a client should wait for
            streams[target.stream_id] = before + len(events)
            ids = [new_id() for _ in events]
            event_ids += [str(i) for i in ids]
            writes.append(
                StreamWrite(target.stream_id, target.aggregate.stream_type, before, events, ids)
            )
        result = {"command_id": str(command.command_id), "streams": streams, "event_ids": event_ids}
        return writes, result

    async def _after_append(
        self,
        targets: Sequence[Target],
        loaded: Mapping[str, Loaded[Any]],
        decision: Decision,
        conn: Connection,
    ) -> None:
        """Keep the new states for the next command on these streams, and snapshot a stream
        whose append crossed a multiple of its aggregate's `snapshot_every`."""
        for target in targets:
            events = decision.get(target.stream_id, ())
            if not events:
                continue
            before = loaded[target.stream_id]
            state = before.state
            for event in events:
                state = target.aggregate.evolve(state, event)
            after = Loaded(state, before.version + len(events))
            self.repository.remember(target.aggregate, target.stream_id, after)
            await self.repository.maybe_snapshot(
                target.aggregate, target.stream_id, before.version, after, conn
            )

    @staticmethod
    def _metadata(command: CommandEnvelope, owner: UUID | None) -> EventMetadata:
        return EventMetadata(
            correlation_id=command.correlation_id,
            causation_id=command.causation_id or command.command_id,
            actor=command.actor,
            club_id=command.club_id or owner,
            occurred_at=command.occurred_at,
            command_id=command.command_id,
            trace_context=tracing.inject(),
        )
