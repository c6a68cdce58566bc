"""Durable timers finance sets: arrears assessments keyed `overdue:<loan>:...` and pass-on
checks keyed `pass-on:<asset>`, both due at the start of a Viet Nam day. The commands they
fire (AssessArrears, CheckPassOn) are handled in commands/."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope
from ishc_contracts.finance.commands import AssessArrears, CheckPassOn
from ishc_runtime.clock import vn_start_of_day
from ishc_runtime.service import ServiceContext


async def schedule_assessment(
    ctx: ServiceContext, loan_id: UUID, as_of: date, tag: str | None = None
) -> None:
    """A durable timer firing AssessArrears at the start of `as_of` (Viet Nam time); keyed
    `overdue:<loan>:<installment>` the day after a due date, `overdue:<loan>:<date>` else."""
    key = f"overdue:{loan_id}:{tag or as_of}"
    command = CommandEnvelope(
        command_id=loan_id,  # replaced by the scheduler with one derived from the key
        type=AssessArrears.__name__,
        actor=SYSTEM_ACTOR,
        payload={"loan_id": str(loan_id), "as_of": as_of.isoformat()},
    )
    await ctx.scheduler.schedule(key, vn_start_of_day(as_of), command)


async def schedule_pass_on_check(ctx: ServiceContext, asset_id: UUID, due: date) -> None:
    """A durable timer `pass-on:<asset>` the day after the pass-on due date."""
    after = due + timedelta(days=1)
    command = CommandEnvelope(
        command_id=asset_id,  # replaced by the scheduler with one derived from the key
        type=CheckPassOn.__name__,
        actor=SYSTEM_ACTOR,
        payload={"asset_id": str(asset_id), "as_of": after.isoformat()},
    )
    await ctx.scheduler.schedule(f"pass-on:{asset_id}", vn_start_of_day(after), command)
