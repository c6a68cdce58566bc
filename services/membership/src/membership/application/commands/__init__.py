"""Membership's command handlers, one module per aggregate: importing this package registers
them all on `routes` (definition.py imports it)."""

from membership.application.commands import club, household, meeting, member, volunteer

__all__ = ["club", "household", "meeting", "member", "volunteer"]
