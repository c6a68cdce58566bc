"""Logs, metrics and traces shared by every service.

`metrics` and `tracing` are imported by module (`from ishc_runtime.observability import
metrics`); the logging and span-export set-ups are re-exported here because services call
them once at start-up.
"""

from ishc_runtime.observability.export import configure_tracing
from ishc_runtime.observability.logging import (
    REDACTED,
    RedactSensitive,
    bind_command_context,
    command_context,
    command_context_for,
    configure_logging,
    default_sensitive_keys,
    unbind_command_context,
)

__all__ = [
    "REDACTED",
    "RedactSensitive",
    "bind_command_context",
    "command_context",
    "command_context_for",
    "configure_logging",
    "configure_tracing",
    "default_sensitive_keys",
    "unbind_command_context",
]
