"""Advocacy contracts: events, commands and upcasters."""

from ishc_contracts.advocacy.commands import COMMANDS
from ishc_contracts.advocacy.events import EVENTS
from ishc_contracts.advocacy.upcasters import UPCASTERS

__all__ = ["COMMANDS", "EVENTS", "UPCASTERS"]
