"""Member commands: admission (read with the club), exit, profile, disability, consents."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import MEMBER
from membership.application.facts import (
    Result,
    club_named,
    club_of_stream,
    in_club,
    today_of,
    with_club,
)
from membership.application.routes import routes
from membership.domain import member


@routes.command(c.AdmitMember)
async def admit_member(ctx: ServiceContext, env: CommandEnvelope, cmd: c.AdmitMember) -> Result:
    today = today_of(ctx)
    return await with_club(
        ctx, env, cmd.club_id, MEMBER, cmd.person_id,
        lambda cl, person: member.admit_member(cl, person, cmd, today),
    )  # fmt: skip


routes.decides_dated(
    c.RecordMemberExit, MEMBER, lambda cmd: cmd.person_id, member.record_exit, scope=club_of_stream
)


routes.decides_dated(
    c.UpdateMemberProfile,
    MEMBER,
    lambda cmd: cmd.person_id,
    member.update_profile,
    scope=club_of_stream,
)


routes.decides_dated(
    c.RecordDisabilityAssessment,
    MEMBER,
    lambda cmd: cmd.person_id,
    member.record_disability,
    scope=club_of_stream,
)


routes.decides_dated(
    c.RecordConsent, MEMBER, lambda cmd: cmd.person_id, member.record_consent, scope=club_named
)


@routes.command(c.WithdrawConsent)
async def withdraw_consent(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.WithdrawConsent
) -> Result:
    today = today_of(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    acting_for = env.club_id  # the caller's club, before the stream's replaces it
    env = await in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.withdraw_consent(s, cmd, today, acting_for)
    )
