"""Writes about the entity an event's stream is about (`Aggregate.stream_id`:
`<type>-<uuid>`): which row that is, and an update of it stamped with the stream version it
reflects, so an answer can say which write of the entity it shows."""

from __future__ import annotations

from uuid import UUID

from ishc_contracts import EventEnvelope
from ishc_runtime.projections.projection import Write


def entity_id(env: EventEnvelope) -> UUID:
    """The id of the entity the event's stream is about: `loan-<uuid>` → that uuid."""
    return UUID(env.stream_id.split("-", 1)[1])


def update_entity(
    env: EventEnvelope, table: str, key: str, assignments: str, *args: object
) -> Write:
    """`UPDATE table SET assignments` on the row of the stream's entity (`key` = its id),
    stamping `version` with the stream version applied. `$1` is the entity's id, `$2` the
    version, `args` are `$3` onwards."""
    sql = f"UPDATE {table} SET {assignments}, version = $2 WHERE {key} = $1"
    return Write(sql, (entity_id(env), env.version, *args))
