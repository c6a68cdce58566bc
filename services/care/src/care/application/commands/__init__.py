"""Care's command handlers, one module per topic: importing this package registers them all on
`routes` (definition.py imports it)."""

from care.application.commands import cases, health_checks, visits

__all__ = ["cases", "health_checks", "visits"]
