"""Durable timers fired through the normal command path (DESIGN §7)."""

from ishc_runtime.scheduler.scheduler import (
    LEADER_ROLE,
    Dispatch,
    DispatchMany,
    Scheduler,
    Timer,
    timer_command_id,
)

__all__ = ["LEADER_ROLE", "Dispatch", "DispatchMany", "Scheduler", "Timer", "timer_command_id"]
