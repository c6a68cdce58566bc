"""(type, schema_version) → model, with upcasters that lift stored payloads to the current shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from ishc_contracts.events import Event, sensitive_fields

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
EventClass = TypeVar("EventClass", bound=type[Event])


def sealed_since_v2(data: dict[str, Any]) -> dict[str, Any]:
    """The upcaster of events whose personal fields became `Sensitive()` in v2 (ADR 0050).

    The shape is unchanged: a v1 payload holds those fields in clear, a v2 payload holds them
    sealed, and unsealing lets a clear value through. So lifting v1 to v2 copies the payload."""
    return dict(data)


class UnknownEventType(LookupError):
    """A message names an event type this registry does not know."""


class UnsupportedSchemaVersion(LookupError):
    """A payload is newer than the current model, or no upcaster bridges its version."""


class InvalidEventPayload(ValueError):
    """A payload does not validate against its model (after upcasting)."""

    def __init__(self, wire_name: str, error: ValidationError) -> None:
        self.wire_name = wire_name
        self.errors = error.errors(include_url=False, include_input=False)
        # Pydantic's messages state the expectation, not the input, so this text can be logged
        # even when the offending field is sensitive (our validators must not echo it either).
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in self.errors
        )
        super().__init__(f"{wire_name}: invalid payload ({problems})")


@dataclass
class EventRegistry:
    """The catalogue of known events. One instance (`ishc_contracts.catalogue.REGISTRY`)
    holds every service's events; tests may build their own."""

    _models: dict[str, type[Event]] = field(default_factory=dict)
    _upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, model: EventClass) -> EventClass:
        name = model.wire_name()
        existing = self._models.get(name)
        if existing is not None and existing is not model:
            msg = f"event {name} registered twice"
            raise ValueError(msg)
        self._models[name] = model
        return model

    def register_all(self, models: Iterable[type[Event]]) -> None:
        for model in models:
            self.register(model)

    def upcaster(self, wire_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Declare the function turning `from_version` payloads into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            existing = self._upcasters.get((wire_name, from_version))
            if existing is not None and existing is not fn:
                msg = f"two upcasters for {wire_name} v{from_version}"
                raise ValueError(msg)
            self._upcasters[(wire_name, from_version)] = fn
            return fn

        return decorate

    def has_upcaster(self, wire_name: str, from_version: int) -> bool:
        return (wire_name, from_version) in self._upcasters

    def model(self, wire_name: str) -> type[Event]:
        try:
            return self._models[wire_name]
        except KeyError:
            msg = f"unknown event type {wire_name!r}"
            raise UnknownEventType(msg) from None

    def knows(self, wire_name: str) -> bool:
        return wire_name in self._models

    def models(self) -> list[type[Event]]:
        return sorted(self._models.values(), key=lambda m: m.wire_name())

    def upcast(self, wire_name: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        current = self.model(wire_name).schema_version
        if schema_version > current:
            msg = f"{wire_name} v{schema_version} is newer than this code's v{current}"
            raise UnsupportedSchemaVersion(msg)
        version = schema_version
        while version < current:
            step = self._upcasters.get((wire_name, version))
            if step is None:
                msg = f"no upcaster for {wire_name} v{version} → v{version + 1}"
                raise UnsupportedSchemaVersion(msg)
            data = step(dict(data))
            version += 1
        return data

    def decode(self, wire_name: str, schema_version: int, data: dict[str, Any]) -> Event:
        """Validate a stored or received payload into the current model.

        Unknown fields are ignored here (tolerant reader), although models forbid them when
        built in code: a producer that already ships a new optional field (a compatible
        change, same version) must not turn every not-yet-upgraded consumer's read into a
        poison event. Missing or mistyped fields are still named errors.
        """
        model = self.model(wire_name)
        lifted = self.upcast(wire_name, schema_version, data)
        try:
            return model.model_validate(lifted, extra="ignore")
        except ValidationError as error:
            raise InvalidEventPayload(wire_name, error) from error

    def sensitive(self, wire_name: str) -> frozenset[str]:
        return sensitive_fields(self.model(wire_name)) if self.knows(wire_name) else frozenset()
