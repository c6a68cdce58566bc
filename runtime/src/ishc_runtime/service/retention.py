"""Retention applied by the owning service's scheduler (docs/privacy.md, "Retention").

A reaction over the service's own stream: an event that starts a retention clock (a case
closed, a loan repaid, a membership ended) schedules, in the same transaction as its
checkpoint, a durable timer due at the start of the day the period ends. Both dates are
business dates from the event, never when it was keyed in or relayed: a case closed in 2020
and typed in today is past its 5 years at once. When due, the timer sends `ExpireRetention`
to the service itself, which destroys the one data key of (stream, category)
(`operations.expire_retention`).

The timer key names the rule, the stream and the starting date, so a redelivered event
schedules nothing new, and an event that stops the clock (a new membership) cancels the
pending timers of its stream and rule that started on or before its own date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, EventEnvelope
from ishc_contracts.retention import EXPIRE_RETENTION, RetentionRule, rules_for
from ishc_runtime.clock import vn_start_of_day
from ishc_runtime.projections import Projection
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.store.pool import Connection

PREFIX = "retention"


def timer_key(rule: RetentionRule, stream_id: str, started_on: date) -> str:
    return f"{PREFIX}:{rule.code}:{stream_id}:{started_on.isoformat()}"


def retention_reaction(
    service: str, source: str | None = None, rules: tuple[RetentionRule, ...] | None = None
) -> Callable[[ServiceContext], Projection]:
    """The reaction scheduling `service`'s retention timers from its stream (`source`: its bus
    name, the service's by default)."""
    chosen = rules_for(service) if rules is None else rules

    def make(ctx: ServiceContext) -> Projection:
        # Named after the bus name, as the runtime requires of every projection.
        projection = Projection(
            name=f"{source or service}_retention", sources=[source or service], policy="stop"
        )
        starting: dict[str, list[RetentionRule]] = {}
        stopping: dict[str, list[RetentionRule]] = {}
        for rule in chosen:
            starting.setdefault(rule.starts_with, []).append(rule)
            if rule.stopped_by:
                stopping.setdefault(rule.stopped_by, []).append(rule)

        async def start(conn: Connection, env: EventEnvelope, event: Any) -> None:
            for rule in starting.get(env.type, ()):
                started_on = getattr(event, rule.date_field, None)
                if not isinstance(started_on, date) or not rule.valid_on(started_on):
                    continue
                ends_on = rule.ends_on(started_on)
                command = CommandEnvelope(
                    command_id=env.event_id,  # replaced by one derived from the timer key
                    type=EXPIRE_RETENTION,
                    actor=SYSTEM_ACTOR,
                    correlation_id=env.metadata.correlation_id,
                    causation_id=env.event_id,
                    club_id=env.metadata.club_id,
                    payload={
                        "rule": rule.code,
                        "stream_id": env.stream_id,
                        "category": rule.category,
                        "started_on": started_on.isoformat(),
                        "ends_on": ends_on.isoformat(),
                    },
                )
                await ctx.scheduler.schedule(
                    timer_key(rule, env.stream_id, started_on),
                    vn_start_of_day(ends_on),
                    command,
                    connection=conn,
                )
            for rule in stopping.get(env.type, ()):
                stopped_on = getattr(event, rule.stopped_date_field or "", None)
                if not isinstance(stopped_on, date):
                    continue
                # Only clocks started by then: a late-typed earlier membership stops nothing.
                await conn.execute(
                    "UPDATE timers SET cancelled_at = $3"
                    # A prefix compared as text: `_` in a rule's code is no LIKE wildcard.
                    " WHERE left(key, length($1)) = $1 AND fired_at IS NULL"
                    " AND cancelled_at IS NULL"
                    " AND split_part(key, ':', 4)::date <= $2",
                    f"{PREFIX}:{rule.code}:{env.stream_id}:",
                    stopped_on,
                    ctx.clock.now(),
                )

        for wire_name in {*starting, *stopping}:
            projection.handlers[wire_name] = start
            # The clock starts and stops on business dates, never on personal data.
            projection.opens[wire_name] = frozenset()
        return projection

    return make
