"""Advocacy's command handlers, one module per topic: importing this package registers them all
on `routes` (definition.py imports it)."""

from advocacy.application.commands import cases, issues, screening

__all__ = ["cases", "issues", "screening"]
