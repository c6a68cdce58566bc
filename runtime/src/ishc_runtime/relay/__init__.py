"""Gap-safe publication of committed events to JetStream."""

from ishc_runtime.relay.relay import Relay, RelayConfig
from ishc_runtime.relay.sequencer import assign_sequence

__all__ = ["Relay", "RelayConfig", "assign_sequence"]
