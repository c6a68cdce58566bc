"""Finance contracts: events, commands and upcasters."""

from ishc_contracts.finance.commands import COMMANDS
from ishc_contracts.finance.events import EVENTS
from ishc_contracts.finance.upcasters import UPCASTERS

__all__ = ["COMMANDS", "EVENTS", "UPCASTERS"]
