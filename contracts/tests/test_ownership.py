"""Every command declares the objects its payload names (issue #18): a command added without
a declaration, or a declared path that names nothing, fails here."""

from __future__ import annotations

import types
import typing
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from ishc_contracts.catalogue import GRANT_RULES, OWNERSHIP, SERVICE_COMMANDS, SERVICE_EVENTS
from ishc_contracts.events import Command
from ishc_contracts.ownership import Check, grants_of

COMMANDS = [(service, model) for service, models in SERVICE_COMMANDS.items() for model in models]


def _inner(annotation: Any) -> list[Any]:
    """The types an annotation can hold: `X | None`, `list[X]`, `tuple[X, ...]` -> X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple, set, frozenset):
        return [t for a in typing.get_args(annotation) for t in _inner(a) if t is not Ellipsis]
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0])
    return [annotation]


def _many(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _many(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_many(a) for a in typing.get_args(annotation))
    return False


def id_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every path of the model that holds an object id (a UUID), nested models included."""
    found: set[str] = set()
    for name, info in model.model_fields.items():
        path = prefix + name + ("[]" if _many(info.annotation) else "")
        for inner in _inner(info.annotation):
            if inner is UUID:
                found.add(path)
            elif isinstance(inner, type) and issubclass(inner, BaseModel):
                found |= id_paths(inner, path + ".")
    return found


@pytest.mark.parametrize(
    ("service", "model"), COMMANDS, ids=[f"{s}.{m.__name__}" for s, m in COMMANDS]
)
def test_every_command_declares_every_id_it_carries(service: str, model: type[Command]) -> None:
    owned = OWNERSHIP.get((service, model.__name__))
    assert owned is not None, f"{service}.{model.__name__} has no ownership declaration"
    assert owned.command is model
    assert set(owned.fields) == id_paths(model), (
        f"{model.__name__}: declared {sorted(owned.fields)}, ids at {sorted(id_paths(model))}"
    )


def test_declarations_name_only_real_commands() -> None:
    real = {(service, model.__name__) for service, model in COMMANDS}
    assert set(OWNERSHIP) <= real


def test_a_club_id_in_a_payload_is_the_acting_club_and_every_check_is_complete() -> None:
    for owned in OWNERSHIP.values():
        for path, ref in owned.fields.items():
            if path == "club_id":
                assert ref.check is Check.WITHIN, owned.command.__name__
            if ref.check in (Check.STREAMS, Check.REFS, Check.REFS_OR_NEW):
                assert ref.kind, f"{owned.command.__name__}.{path} checks no kind"
            if ref.check is Check.UNCHECKED:
                assert ref.reason, f"{owned.command.__name__}.{path} is unchecked without reason"


def test_every_kind_a_command_checks_is_placed_in_a_club_by_some_event() -> None:
    """An object no event places in a club could never be found: the check would refuse it
    for everyone. So every kind a declaration checks has a grant rule somewhere."""
    events = {model.wire_name() for models in SERVICE_EVENTS.values() for model in models}
    assert set(GRANT_RULES) <= events
    checked = {
        ref.kind
        for owned in OWNERSHIP.values()
        for ref in owned.fields.values()
        if ref.kind is not None
    }
    assert checked - placed_kinds() == set()


def placed_kinds() -> set[str]:
    """The kinds the grant rules place, found by running each rule on an event whose ids are
    all set (and nothing else: the rules read only ids)."""
    kinds: set[str] = set()
    for models in SERVICE_EVENTS.values():
        for model in models:
            values: dict[str, Any] = {
                name: uuid4() if name.endswith("_id") else None for name in model.model_fields
            }
            event = model.model_construct(**values)
            kinds |= {grant.kind for grant in grants_of(event, GRANT_RULES)}
    return kinds
