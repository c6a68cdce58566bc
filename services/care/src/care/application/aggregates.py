"""The care streams: `case-<case_id>` (everything about one person's care, visits included)
and `health_check-<check_id>`. The stream types are the events' `aggregate` tokens."""

from __future__ import annotations

from care.domain import case, health
from ishc_runtime.aggregates import Aggregate

CASE = Aggregate(stream_type="case", initial=case.Case(), evolve=case.evolve, snapshot_every=50)
HEALTH_CHECK = Aggregate(
    stream_type="health_check", initial=health.HealthCheck(), evolve=health.evolve
)

# Every aggregate of the service, as its definition lists them.
AGGREGATES = (CASE, HEALTH_CHECK)
