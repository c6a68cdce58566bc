"""Read models fed from JetStream, exactly-once in effect."""

from ishc_runtime.projections.projection import FailurePolicy, Handler, Projection, Write, Writer
from ishc_runtime.projections.rows import entity_id, update_entity
from ishc_runtime.projections.runner import (
    LeaderElsewhere,
    ProjectionRunner,
    ProjectionStopped,
    apply_writes,
)

__all__ = [
    "FailurePolicy",
    "Handler",
    "LeaderElsewhere",
    "Projection",
    "ProjectionRunner",
    "ProjectionStopped",
    "Write",
    "Writer",
    "apply_writes",
    "entity_id",
    "update_entity",
]
