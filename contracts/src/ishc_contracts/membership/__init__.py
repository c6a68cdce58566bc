"""Membership contracts: events, commands and upcasters."""

from ishc_contracts.membership.commands import COMMANDS
from ishc_contracts.membership.events import EVENTS
from ishc_contracts.membership.upcasters import UPCASTERS

__all__ = ["COMMANDS", "EVENTS", "UPCASTERS"]
