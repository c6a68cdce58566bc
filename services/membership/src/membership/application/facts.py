"""What command handlers read besides the stream they decide on: the club a command acts in
(named by its payload, or read from the stream first) and the club's own stream. A command
that needs a rule from another stream (the club exists, the person's other memberships) loads
both with `handle_many`; decide sees the store's state, not a projection's, and writes only
its own stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from ishc_contracts import CommandEnvelope, Event
from ishc_contracts.errors import NotInScope
from ishc_runtime.aggregates import Aggregate
from ishc_runtime.clock import vn_date
from ishc_runtime.commands import Target
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import CLUB
from membership.domain import club

Result = dict[str, Any]


def today_of(ctx: ServiceContext) -> date:
    return vn_date(ctx.clock.now())


def scoped(env: CommandEnvelope, club_id: UUID) -> CommandEnvelope:
    """The envelope with the club the payload names, so every event's metadata carries its
    club_id (the runtime copies it from the envelope). A request scoped to one club may not
    act on another: the gateway authorises by the envelope's club."""
    if env.club_id is None:
        return env.model_copy(update={"club_id": club_id})
    if env.club_id != club_id:
        # The one scope answer of every service: it says nothing of the other club.
        raise NotInScope(field="club_id")
    return env


async def in_club(
    ctx: ServiceContext, env: CommandEnvelope, aggregate: Aggregate[Any], stream: str
) -> CommandEnvelope:
    """For a command whose payload names no club (an exit, a decision): the club the stream
    belongs to, read first so the events' metadata carries it. The decision itself reloads
    the stream, so a concurrent change is still caught by the version check."""
    state = (await ctx.repository.load(aggregate, stream)).state
    club_id = getattr(state, "club_id", None)
    if club_id is None and getattr(state, "known", False):
        club_id = state.current.club_id
    return env if club_id is None else scoped(env, club_id)


async def club_named(
    ctx: ServiceContext, env: CommandEnvelope, cmd: Any, target: Target
) -> CommandEnvelope:
    """`Routes.decides` scope: the club the payload names (`club_id`)."""
    return scoped(env, cmd.club_id)


async def club_of_stream(
    ctx: ServiceContext, env: CommandEnvelope, cmd: Any, target: Target
) -> CommandEnvelope:
    """`Routes.decides` scope: the club the stream the command decides on belongs to."""
    return await in_club(ctx, env, target.aggregate, target.stream_id)


async def with_club(
    ctx: ServiceContext,
    env: CommandEnvelope,
    club_id: UUID,
    aggregate: Aggregate[Any],
    entity_id: object,
    decide: Callable[[club.Club, Any], Sequence[Event]],
) -> Result:
    """Read the club stream, write only the entity's stream."""
    club_stream, own = CLUB.stream_id(club_id), aggregate.stream_id(entity_id)

    def both(states: Mapping[str, Any]) -> Mapping[str, Sequence[Event]]:
        return {own: decide(states[club_stream], states[own])}

    targets = [Target(CLUB, club_stream), Target(aggregate, own)]
    return await ctx.processor.handle_many(scoped(env, club_id), targets, both)
