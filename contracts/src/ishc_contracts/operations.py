"""Built-in operator queries every service answers, and the shape of their answers.

`ishc.qry.<service>.ProjectionStatus` and `ishc.qry.<service>.ParkedEvents` are answered by
the runtime for every service (`ishc_runtime.service.operations`), so an operator screen can
see read-model health without a database connection. Answers carry positions, counts and
reasons only, never an event's payload: operators see no personal data.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ishc_contracts.events import Command, Query

PROJECTION_STATUS = "ProjectionStatus"
PARKED_EVENTS = "ParkedEvents"
LAG_HISTORY = "LagHistory"
BUILT_IN_QUERIES = (PROJECTION_STATUS, PARKED_EVENTS, LAG_HISTORY)
REDRIVE_PARKED = "RedriveParked"
DISCARD_PARKED = "DiscardParked"
BUILT_IN_OPERATOR_COMMANDS = (REDRIVE_PARKED, DISCARD_PARKED)
# Who may act on dead letters, checked by the service too (it does not trust the gateway).
PARKED_OPERATORS = frozenset({"operator", "national_admin"})

ProjectionKind = Literal["projection", "reaction"]
# "caught up" and "behind" are a running projection; "stopped": a `stop` projection waits on
# a poison event (see ParkedEvents, disposition "blocking"); "rebuilding": a blue-green
# rebuild is filling a new version beside it; "no stream": its source stream does not exist.
ProjectionState = Literal["caught up", "behind", "stopped", "rebuilding", "no stream"]
Disposition = Literal["parked", "blocking"]


class ProjectionStatus(Query):
    """Per projection and source stream: checkpoint, stream position, lag, state.

    Built into every service: ask it on `ishc.qry.<service>.ProjectionStatus`."""

    projection: str | None = Field(default=None, description="One projection (default: all)")


class ParkedEvents(Query):
    """Dead letters: events a projection set aside or is stopped on, without payloads.

    Built into every service: ask it on `ishc.qry.<service>.ParkedEvents`."""

    projection: str | None = Field(default=None, description="One projection (default: all)")
    include_resolved: bool = Field(default=False, description="Also redriven/discarded ones")
    limit: int = Field(default=200, ge=1, le=1000)
    parked_id: int | None = Field(
        default=None, ge=1, le=2**62, description="Only this dead letter (its id)"
    )


class LagHistory(Query):
    """Each projection's lag over the last minutes, as sampled by the service's instances
    (one sample a minute: the largest any instance saw). Kept in the service's database, so
    it survives restarts of the instances and of the gateway.

    Built into every service: ask it on `ishc.qry.<service>.LagHistory`."""

    projection: str | None = Field(default=None, description="One projection (default: all)")
    minutes: int = Field(default=60, ge=5, le=1440, description="How far back")


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectionSourceStatus(_Answer):
    projection: str = Field(examples=["finance_loans"])
    kind: ProjectionKind = Field(description="reaction: its handlers send commands")
    source: str = Field(description="The service whose stream it reads", examples=["finance"])
    stream: str = Field(examples=["FINANCE"])
    policy: Literal["stop", "park"]
    checkpoint: int = Field(ge=0, description="Last stream sequence applied")
    stream_last_seq: int | None = Field(description="null when the stream does not exist")
    lag: int | None = Field(description="stream_last_seq - checkpoint; null without a stream")
    parked: int = Field(ge=0, description="Open dead letters set aside (projection went on)")
    blocking: int = Field(ge=0, description="Open dead letters the projection is stopped on")
    state: ProjectionState
    updated_at: AwareDatetime | None = Field(description="When the checkpoint last moved")
    unaccounted: int | None = Field(
        default=None,
        description="Messages of the stream up to the checkpoint that the projection never"
        " took (skipped): 0 when sound; null before it took its first message",
    )


class TimerKindStatus(_Answer):
    """The service's durable timers of one kind (the key's prefix, e.g. `overdue`, `week`)."""

    kind: str = Field(examples=["overdue"])
    pending: int = Field(ge=0, description="Not yet fired, failed or cancelled")
    due: int = Field(
        ge=0, description="Pending and already due: work the scheduler still owes (lag)"
    )
    failed: int = Field(ge=0, description="Gave up after the scheduler's attempts")
    oldest_due_at: AwareDatetime | None = Field(description="Earliest due time still pending")
    next_due_at: AwareDatetime | None = Field(description="Earliest pending not yet due")


class TimerStatus(_Answer):
    """Scheduled work as lag: a service whose projections are caught up may still owe the
    commands of timers that are due (e.g. thousands of screenings after a burst of joins)."""

    state: Literal["caught up", "behind"] = Field(description="behind: some timer is due")
    pending: int = Field(ge=0)
    due: int = Field(ge=0)
    failed: int = Field(ge=0)
    oldest_due_at: AwareDatetime | None
    next_due_at: AwareDatetime | None
    kinds: list[TimerKindStatus]


class ProjectionStatusAnswer(_Answer):
    service: str
    projections: list[ProjectionSourceStatus]
    timers: TimerStatus | None = Field(
        default=None, description="The service's timers; null from a service that predates it"
    )


class ParkedEvent(_Answer):
    id: int
    projection: str
    source: str
    stream: str
    stream_seq: int
    event_type: str | None = Field(description="null when the message was not an event")
    event_id: str | None
    reason: str = Field(
        description="malformed, unknown_type, unsupported_schema_version, invalid_payload or "
        "handler_failed",
        examples=["handler_failed"],
    )
    disposition: Disposition
    attempts: int
    parked_at: AwareDatetime
    resolved_at: AwareDatetime | None
    resolution: str | None = Field(description="redriven, discarded, applied, skipped, rebuilt")
    resolved_by: str | None = Field(
        default=None, description="The operator (user id) who redrove or discarded it"
    )
    note: str | None = Field(default=None, description="Why it was discarded, as they said")


class ParkedEventsAnswer(_Answer):
    service: str
    parked: list[ParkedEvent]
    truncated: bool = Field(description="More matched than `limit`")


class RedriveParked(Command):
    """Apply one parked event again, in its projection, after the handler was fixed: under
    the projection's lease (fenced like a batch), once. Operators and national admins.
    Built into every service: `ishc.cmd.<service>.RedriveParked`."""

    service: ClassVar[str] = "every"

    parked_id: int = Field(ge=1, description="The dead letter's id (ParkedEvents)")


class DiscardParked(Command):
    """Settle one parked event without applying it, recording who and why. Operators and
    national admins. Built into every service: `ishc.cmd.<service>.DiscardParked`."""

    service: ClassVar[str] = "every"

    parked_id: int = Field(ge=1, description="The dead letter's id (ParkedEvents)")
    reason: str = Field(
        min_length=3,
        max_length=500,
        description="Why it may be dropped (kept with the dead letter)",
        examples=["test event sent to production by mistake"],
    )


class ParkedResolved(_Answer):
    """A service's answer to RedriveParked / DiscardParked."""

    service: str
    id: int
    projection: str
    resolution: str = Field(description="redriven, skipped (nothing to apply) or discarded")
    resolved_by: str | None
    note: str | None = None
    already: bool = Field(
        default=False, description="It was resolved before this request (a repeat): unchanged"
    )


class LagSample(_Answer):
    projection: str
    source: str
    at: AwareDatetime = Field(description="The minute sampled")
    lag: int = Field(ge=0, description="Events of the source stream not yet applied")


class LagHistoryAnswer(_Answer):
    service: str
    minutes: int
    samples: list[LagSample] = Field(description="By projection, source, then time")
