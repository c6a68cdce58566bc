"""Finance's command handlers, one module per topic: importing this package registers them all
on `routes` (definition.py imports it)."""

from finance.application.commands import funds, loans, restructuring, servicing

__all__ = ["funds", "loans", "restructuring", "servicing"]
