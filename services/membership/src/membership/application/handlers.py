"""Command handlers: load → decide → append. A command that needs a rule from another
stream (the club exists, the person's other memberships) loads both with `handle_many`;
decide sees the store's state, not a projection's, and writes only its own stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from ishc_contracts import CommandEnvelope, Event
from ishc_contracts.errors import NotInScope
from ishc_contracts.membership import commands as c
from ishc_runtime.aggregates import Aggregate
from ishc_runtime.clock import vn_date
from ishc_runtime.commands import Target
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import CLUB, HOUSEHOLD, MEETING, MEMBER, VOLUNTEER
from membership.application.routes import routes
from membership.domain import club, household, meeting, member, volunteer
from membership.reference import admin_units

Result = dict[str, Any]


def _today(ctx: ServiceContext) -> date:
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


async def _in_club(
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


async def _with_club(
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


@routes.command(c.EstablishClub)
async def establish_club(ctx: ServiceContext, env: CommandEnvelope, cmd: c.EstablishClub) -> Result:
    units = admin_units.resolve(cmd.admin_unit, cmd.legacy_address)
    today = _today(ctx)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id),
        CLUB,
        CLUB.stream_id(cmd.club_id),
        lambda s: club.establish_club(s, cmd, units, today),
    )


@routes.command(c.AdoptCharter)
async def adopt_charter(ctx: ServiceContext, env: CommandEnvelope, cmd: c.AdoptCharter) -> Result:
    today = _today(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.adopt_charter(s, cmd, today)
    )


@routes.command(c.ChangeClubStatus)
async def change_club_status(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.ChangeClubStatus
) -> Result:
    today = _today(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.change_status(s, cmd, today)
    )


@routes.command(c.ElectBoard)
async def elect_board(ctx: ServiceContext, env: CommandEnvelope, cmd: c.ElectBoard) -> Result:
    today = _today(ctx)
    stream = CLUB.stream_id(cmd.club_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), CLUB, stream, lambda s: club.elect_board(s, cmd, today)
    )


@routes.command(c.AdmitMember)
async def admit_member(ctx: ServiceContext, env: CommandEnvelope, cmd: c.AdmitMember) -> Result:
    today = _today(ctx)
    return await _with_club(
        ctx, env, cmd.club_id, MEMBER, cmd.person_id,
        lambda cl, person: member.admit_member(cl, person, cmd, today),
    )  # fmt: skip


@routes.command(c.RecordMemberExit)
async def record_exit(ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordMemberExit) -> Result:
    today = _today(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await _in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.record_exit(s, cmd, today)
    )


@routes.command(c.UpdateMemberProfile)
async def update_profile(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.UpdateMemberProfile
) -> Result:
    today = _today(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await _in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.update_profile(s, cmd, today)
    )


@routes.command(c.RecordDisabilityAssessment)
async def record_disability(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordDisabilityAssessment
) -> Result:
    today = _today(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await _in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.record_disability(s, cmd, today)
    )


@routes.command(c.RecordConsent)
async def record_consent(ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordConsent) -> Result:
    today = _today(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), MEMBER, stream, lambda s: member.record_consent(s, cmd, today)
    )


@routes.command(c.WithdrawConsent)
async def withdraw_consent(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.WithdrawConsent
) -> Result:
    today = _today(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    acting_for = env.club_id  # the caller's club, before the stream's replaces it
    env = await _in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.withdraw_consent(s, cmd, today, acting_for)
    )


@routes.command(c.RecordPovertyCertificate)
async def record_poverty(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordPovertyCertificate
) -> Result:
    return await _with_club(
        ctx, env, cmd.club_id, HOUSEHOLD, cmd.household_id,
        lambda cl, hh: household.record_poverty_certificate(cl, hh, cmd),
    )  # fmt: skip


@routes.command(c.HoldMeeting)
async def hold_meeting(ctx: ServiceContext, env: CommandEnvelope, cmd: c.HoldMeeting) -> Result:
    today = _today(ctx)
    return await _with_club(
        ctx, env, cmd.club_id, MEETING, cmd.meeting_id,
        lambda cl, m: meeting.hold_meeting(cl, m, cmd, today),
    )  # fmt: skip


@routes.command(c.RecordAttendance)
async def record_attendance(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordAttendance
) -> Result:
    stream = MEETING.stream_id(cmd.meeting_id)
    env = await _in_club(ctx, env, MEETING, stream)
    return await ctx.processor.handle(
        env, MEETING, stream, lambda s: meeting.record_attendance(s, cmd)
    )


@routes.command(c.RecordDecision)
async def record_decision(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordDecision
) -> Result:
    stream = MEETING.stream_id(cmd.meeting_id)
    env = await _in_club(ctx, env, MEETING, stream)
    return await ctx.processor.handle(
        env, MEETING, stream, lambda s: meeting.record_decision(s, cmd)
    )


@routes.command(c.RegisterVolunteer)
async def register_volunteer(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RegisterVolunteer
) -> Result:
    today = _today(ctx)
    return await _with_club(
        ctx, env, cmd.club_id, VOLUNTEER, cmd.volunteer_id,
        lambda cl, v: volunteer.register_volunteer(cl, v, cmd, today),
    )  # fmt: skip
