"""Aggregate snapshots are stored as the state's JSON, unsealed (`snapshots` table), so an
aggregate that snapshots keeps no personal value in its state: no field of its state (nested
models included) has the name and the type of a field marked `Sensitive` in an event or a
command (issue #20). An aggregate whose state must hold one (a person's name) does not
snapshot; its streams are short."""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from ishc_contracts.catalogue import REGISTRY, all_commands
from ishc_contracts.events import sensitive_fields
from ishc_runtime.aggregates import Aggregate

pytestmark = pytest.mark.unit

SERVICES = ("membership", "finance", "care", "advocacy")


def aggregates() -> Iterator[tuple[str, Aggregate[Any]]]:
    for service in SERVICES:
        definition = importlib.import_module(f"{service}.definition").definition()
        for aggregate in definition.aggregates:
            yield service, aggregate


def test_every_service_lists_every_aggregate_it_has_in_its_definition() -> None:
    for service in SERVICES:
        module = importlib.import_module(f"{service}.application.aggregates")
        found = {id(v) for v in vars(module).values() if isinstance(v, Aggregate)}
        listed = [a for s, a in aggregates() if s == service]
        assert found and {id(a) for a in listed} == found, service


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def _base(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `X | None`."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _base(typing.get_args(annotation)[0])
    arguments = [a for a in typing.get_args(annotation) if a is not types.NoneType]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(arguments) == 1:
        return _base(arguments[0])
    return annotation


def marked() -> set[tuple[str, Any]]:
    """(name, type) of every field marked sensitive in an event or a command."""
    models: list[type[BaseModel]] = [*REGISTRY.models(), *all_commands()]
    return {
        (name, _base(model.model_fields[name].annotation))
        for model in models
        for name in sensitive_fields(model)
    }


def personal_fields(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """The fields of `model`, and of the models it holds, that look like a sensitive field:
    its name and its type (a case's lifecycle `status` is not a poverty `status`)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    sensitive = marked()
    found = {
        f"{model.__name__}.{name}"
        for name, info in model.model_fields.items()
        if (name, _base(info.annotation)) in sensitive
    }
    for info in model.model_fields.values():
        for inner in _models_in(info.annotation):
            found |= personal_fields(inner, seen)
    return found


def test_no_aggregate_snapshots_a_state_holding_personal_values() -> None:
    snapshotting = {
        f"{service}.{a.stream_type}": personal_fields(type(a.initial))
        for service, a in aggregates()
        if a.snapshot_every
    }
    assert {"care.case", "finance.fund"} <= set(snapshotting)  # the long streams snapshot
    assert {name: fields for name, fields in snapshotting.items() if fields} == {}


def test_the_check_finds_a_personal_field_in_a_nested_state() -> None:
    class Visit(BaseModel):
        observations: str | None = None

    class Remembers(BaseModel):
        model_config = ConfigDict(frozen=True)
        visits: dict[str, Visit] = {}
        full_name: str = ""
        status: bool = False  # a flag, not a poverty status

    assert personal_fields(Remembers) == {"Remembers.full_name", "Visit.observations"}
