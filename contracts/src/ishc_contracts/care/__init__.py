"""Care contracts: events, commands and upcasters."""

from ishc_contracts.care.commands import COMMANDS
from ishc_contracts.care.events import EVENTS
from ishc_contracts.care.upcasters import UPCASTERS

__all__ = ["COMMANDS", "EVENTS", "UPCASTERS"]
