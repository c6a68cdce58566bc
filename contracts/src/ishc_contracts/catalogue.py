"""The catalogue: every service's events and upcasters in one registry.

Consumers decode whatever arrives on the bus through `REGISTRY`; a service never imports
another service's package directly, only this catalogue or the event classes it needs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ishc_contracts import advocacy, audit, care, finance, membership
from ishc_contracts.advocacy import ownership as advocacy_ownership
from ishc_contracts.care import ownership as care_ownership
from ishc_contracts.events import Command, Event, sensitive_fields
from ishc_contracts.finance import ownership as finance_ownership
from ishc_contracts.membership import ownership as membership_ownership
from ishc_contracts.ownership import GrantRule, Owned
from ishc_contracts.registry import EventRegistry, Upcaster

SERVICE_EVENTS: Mapping[str, tuple[type[Event], ...]] = {
    "membership": membership.EVENTS,
    "finance": finance.EVENTS,
    "care": care.EVENTS,
    "advocacy": advocacy.EVENTS,
    # The gateway stores nothing, but it records reads of personal data on its own stream
    # (ishc_contracts.audit, ADR 0053); membership projects them.
    "gateway": audit.EVENTS,
}
SERVICE_COMMANDS: Mapping[str, tuple[type[Command], ...]] = {
    "membership": membership.COMMANDS,
    "finance": finance.COMMANDS,
    "care": care.COMMANDS,
    "advocacy": advocacy.COMMANDS,
}
_UPCASTERS: tuple[Mapping[tuple[str, int], Upcaster], ...] = (
    membership.UPCASTERS,
    finance.UPCASTERS,
    care.UPCASTERS,
    advocacy.UPCASTERS,
)


def build_registry() -> EventRegistry:
    """A fresh registry holding every event and upcaster of every service."""
    registry = EventRegistry()
    for service, events in SERVICE_EVENTS.items():
        for model in events:
            if model.service != service:
                msg = (
                    f"{model.__name__} declares service {model.service!r}, listed under {service!r}"
                )
                raise ValueError(msg)
            registry.register(model)
    for upcasters in _UPCASTERS:
        for (wire_name, from_version), upcaster in upcasters.items():
            registry.upcaster(wire_name, from_version)(upcaster)
    return registry


REGISTRY = build_registry()


_OWNERSHIP_MODULES = (membership_ownership, finance_ownership, care_ownership, advocacy_ownership)


def _declarations() -> dict[tuple[str, str], Owned]:
    declared: dict[tuple[str, str], Owned] = {}
    for module in _OWNERSHIP_MODULES:
        for owned in module.OWNED:
            key = (owned.command.service, owned.command.__name__)
            if key in declared:
                msg = f"{key} is declared twice"
                raise ValueError(msg)
            declared[key] = owned
    return declared


# Every command's ownership declaration by (service, command type): `ishc_contracts.ownership`.
OWNERSHIP: Mapping[tuple[str, str], Owned] = _declarations()
# Per event wire name: the objects that event places in (or takes out of) a club.
GRANT_RULES: Mapping[str, GrantRule] = {
    event_type.wire_name(): rule
    for module in _OWNERSHIP_MODULES
    for event_type, rule in module.GRANTS.items()
}


def all_commands() -> list[type[Command]]:
    """Every service's commands."""
    return [command for commands in SERVICE_COMMANDS.values() for command in commands]


def sensitive_names() -> frozenset[str]:
    """Every field name marked sensitive in any event or command (log redaction reads it)."""
    models: list[type[Event] | type[Command]] = [*REGISTRY.models(), *all_commands()]
    return frozenset(name for model in models for name in sensitive_fields(model))
