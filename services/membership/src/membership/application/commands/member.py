"""Member commands: admission (read with the club), exit, profile, disability, consents."""

from __future__ import annotations

from ishc_contracts import CommandEnvelope
from ishc_contracts.membership import commands as c
from ishc_runtime.service import ServiceContext
from membership.application.aggregates import MEMBER
from membership.application.facts import Result, in_club, scoped, today_of, with_club
from membership.application.routes import routes
from membership.domain import member


@routes.command(c.AdmitMember)
async def admit_member(ctx: ServiceContext, env: CommandEnvelope, cmd: c.AdmitMember) -> Result:
    today = today_of(ctx)
    return await with_club(
        ctx, env, cmd.club_id, MEMBER, cmd.person_id,
        lambda cl, person: member.admit_member(cl, person, cmd, today),
    )  # fmt: skip


@routes.command(c.RecordMemberExit)
async def record_exit(ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordMemberExit) -> Result:
    today = today_of(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.record_exit(s, cmd, today)
    )


@routes.command(c.UpdateMemberProfile)
async def update_profile(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.UpdateMemberProfile
) -> Result:
    today = today_of(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.update_profile(s, cmd, today)
    )


@routes.command(c.RecordDisabilityAssessment)
async def record_disability(
    ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordDisabilityAssessment
) -> Result:
    today = today_of(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    env = await in_club(ctx, env, MEMBER, stream)
    return await ctx.processor.handle(
        env, MEMBER, stream, lambda s: member.record_disability(s, cmd, today)
    )


@routes.command(c.RecordConsent)
async def record_consent(ctx: ServiceContext, env: CommandEnvelope, cmd: c.RecordConsent) -> Result:
    today = today_of(ctx)
    stream = MEMBER.stream_id(cmd.person_id)
    return await ctx.processor.handle(
        scoped(env, cmd.club_id), MEMBER, stream, lambda s: member.record_consent(s, cmd, today)
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
