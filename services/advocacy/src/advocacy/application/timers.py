"""Durable timers advocacy sets: screenings on the dates a person's rules turn (keyed by plan,
set by the people reaction) and the check of a submitted case's decision deadline
(`sla:<case>`). The commands they fire are handled in commands/."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

from advocacy.domain.triggers import PlannedScreening
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventEnvelope, new_id
from ishc_runtime.clock import vn_start_of_day
from ishc_runtime.service import ServiceContext
from ishc_runtime.store.pool import Connection

SCREENING_NAMESPACE = uuid.UUID("0b6f3c2e-5d1a-4f7e-9a83-6c2d4e1f7a90")


def screening_id(timer_key: str) -> UUID:
    return uuid.uuid5(SCREENING_NAMESPACE, timer_key)


async def schedule_screenings(
    ctx: ServiceContext, conn: Connection, env: EventEnvelope, person_id: UUID,
    plans: list[PlannedScreening],
) -> None:  # fmt: skip
    now = ctx.clock.now()
    for plan in plans:
        command = CommandEnvelope(
            command_id=new_id(), type="ScreenEligibility", actor=SYSTEM_ACTOR,
            correlation_id=env.metadata.correlation_id, causation_id=env.event_id,
            club_id=env.metadata.club_id,
            payload={
                "screening_id": str(screening_id(plan.key)), "person_id": str(person_id),
                "scheme": plan.scheme, "as_of": plan.on.isoformat(), "trigger": plan.trigger,
            },
        )  # fmt: skip
        due = max(now, vn_start_of_day(plan.on))
        await ctx.scheduler.schedule(plan.key, due, command, connection=conn)


async def schedule_deadline_check(
    ctx: ServiceContext, env: CommandEnvelope, case_id: UUID, club_id: UUID | None, on: date
) -> None:
    """CheckSubmissionDeadline at the start of `on`; the key makes it once per case."""
    command = CommandEnvelope(
        command_id=new_id(), type="CheckSubmissionDeadline", actor=SYSTEM_ACTOR,
        correlation_id=env.correlation_id, club_id=club_id,
        payload={"case_id": str(case_id), "as_of": on.isoformat()},
    )  # fmt: skip
    await ctx.scheduler.schedule(f"sla:{case_id}", vn_start_of_day(on), command)
