"""Prometheus metrics of the runtime. Labels stay low-cardinality: service, projection, source."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPENDED = Counter("ishc_events_appended_total", "Events appended to the store")
APPEND_CONFLICTS = Counter(
    "ishc_append_conflicts_total", "Appends refused because the stream had moved on"
)
COMMANDS = Counter("ishc_commands_total", "Commands handled, by outcome", ["command", "outcome"])
COMMAND_RETRIES = Counter(
    "ishc_command_retries_total", "Command attempts repeated after a concurrency conflict"
)
EVENTS_SEQUENCED = Counter("ishc_events_sequenced_total", "Events given their commit-order seq")
RELAY_PUBLISHED = Counter(
    "ishc_relay_published_total", "Events published to JetStream by the relay", ["stream"]
)
RELAY_BATCH_SIZE = Histogram(
    "ishc_relay_batch_size",
    "Events per relay publish batch",
    ["stream"],
    buckets=(1, 10, 50, 100, 250, 500, 1000),
)
RELAY_LAG = Gauge(
    "ishc_relay_lag_events", "Committed events not yet published to JetStream", ["stream"]
)
PROJECTION_APPLIED = Counter(
    "ishc_projection_events_total", "Events applied by a projection", ["projection", "source"]
)
PROJECTION_LAG = Gauge(
    "ishc_projection_lag_events",
    "Messages of a source stream not yet applied by a projection",
    ["projection", "source"],
)
PARKED = Counter(
    "ishc_parked_messages_total",
    "Messages parked or stopped on, by reason",
    ["projection", "reason"],
)
TIMERS_FIRED = Counter("ishc_timers_fired_total", "Durable timers fired", ["outcome"])
LEASE_HELD = Gauge("ishc_lease_held", "1 while this instance holds the role's lease", ["role"])
LEASE_ACQUIRED = Counter(
    "ishc_lease_acquired_total", "Leases this instance acquired (each a new epoch)", ["role"]
)
LEASE_LOST = Counter(
    "ishc_lease_lost_total",
    "Leases this instance lost while working (taken over, or not renewed in time)",
    ["role"],
)
PROJECTION_RESUBSCRIBED = Counter(
    "ishc_projection_resubscribed_total",
    "Consumers recreated because another runner had taken a message from them",
    ["projection", "source"],
)
PROJECTION_UNACCOUNTED = Gauge(
    "ishc_projection_unaccounted_events",
    "Messages of a source stream up to a projection's checkpoint that it never took (0 when"
    " sound; anything else is an event it skipped)",
    ["projection", "source"],
)
