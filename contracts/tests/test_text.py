"""Requests refuse U+0000 in their text, naming the field, wherever the text sits."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from ishc_contracts import SYSTEM_ACTOR, Actor, Command, Event, Query, QueryEnvelope, new_id
from ishc_contracts.envelope import CommandEnvelope
from ishc_contracts.text import NUL_MESSAGE, nul_fields

pytestmark = pytest.mark.unit


class Address(BaseModel):
    street: str


class RecordNote(Command):
    service: ClassVar[str] = "sample"
    note: str
    tags: tuple[str, ...] = ()
    extra: dict[str, str] = {}
    address: Address | None = None


class FindMember(Query):
    service: ClassVar[str] = "sample"
    name: str


class NoteRecorded(Event):
    service: ClassVar[str] = "sample"
    aggregate: ClassVar[str] = "note"
    note: str


def refused(model: type[BaseModel], data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(data)
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"])
        for e in raised.value.errors(include_url=False)
    ]


@pytest.mark.parametrize(
    ("data", "field", "where"),
    [
        ({"note": "ab\x00c"}, "note", ""),
        ({"note": "ok", "tags": ["a", "b\x00"]}, "tags", " (at 1)"),
        ({"note": "ok", "extra": {"k\x00": "v"}}, "extra", " (at k\x00)"),
        ({"note": "ok", "extra": {"k": "\x00"}}, "extra", " (at k)"),
        ({"note": "ok", "address": {"street": "\x00"}}, "address", " (at street)"),
    ],
)
def test_a_command_with_u0000_anywhere_is_refused_naming_the_field(
    data: dict[str, Any], field: str, where: str
) -> None:
    assert refused(RecordNote, data) == [(field, f"Value error, {NUL_MESSAGE}{where}")]


def test_a_query_with_u0000_is_refused_naming_the_parameter() -> None:
    assert [f for f, _ in refused(FindMember, {"name": "x\x00"})] == ["name"]


def test_text_that_only_looks_like_an_escape_is_ordinary() -> None:
    assert RecordNote.model_validate({"note": "C:\\u0000"}).note == "C:\\u0000"


def test_an_actor_with_u0000_is_refused() -> None:
    assert [f for f, _ in refused(Actor, {"user_id": "a\x00", "role": "x"})] == ["user_id"]


def test_an_envelope_leaves_its_payload_to_the_payload_model_so_the_error_names_the_field() -> None:
    envelope = CommandEnvelope(
        command_id=new_id(), type="RecordNote", actor=SYSTEM_ACTOR, payload={"note": "\x00"}
    )

    assert [f for f, _ in refused(RecordNote, envelope.payload)] == ["note"]


def test_a_query_envelope_refuses_u0000_in_its_own_fields() -> None:
    data = {"type": "Find\x00", "actor": SYSTEM_ACTOR.model_dump()}

    assert [f for f, _ in refused(QueryEnvelope, data)] == ["type"]


def test_events_are_not_walked_they_come_from_validated_commands() -> None:
    assert NoteRecorded(note="\x00").note == "\x00"


def test_nul_fields_lists_every_path_holding_u0000() -> None:
    value = {"a": "x", "b": ["\x00", {"c": "y\x00"}], "d\x00": 1}

    assert sorted(nul_fields(value)) == ["b.0", "b.1.c", "d\x00"]
