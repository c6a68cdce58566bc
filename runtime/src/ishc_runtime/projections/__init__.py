"""Read models fed from JetStream, exactly-once in effect."""

from ishc_runtime.projections.projection import FailurePolicy, Handler, Projection
from ishc_runtime.projections.runner import ProjectionRunner, ProjectionStopped

__all__ = ["FailurePolicy", "Handler", "Projection", "ProjectionRunner", "ProjectionStopped"]
