"""Gap-safe publication of committed events to JetStream."""

from ishc_runtime.relay.relay import Relay, RelayConfig
from ishc_runtime.relay.sequencer import assign_sequence
from ishc_runtime.relay.streams import (
    StreamMisconfigured,
    StreamSpec,
    check_stream,
    declare_stream,
)

__all__ = [
    "Relay",
    "RelayConfig",
    "StreamMisconfigured",
    "StreamSpec",
    "assign_sequence",
    "check_stream",
    "declare_stream",
]
