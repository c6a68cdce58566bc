"""The committed AsyncAPI document: no drift, one channel per event, references resolve."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ishc_contracts.asyncapi import DOCUMENT_PATH, build_document, main
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.snapshots import render

pytestmark = pytest.mark.unit

_COMPONENT_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3.0 components key rule


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def test_committed_document_matches_the_generated_one(document: dict[str, Any]) -> None:
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(document), (
        "run: uv run python -m ishc_contracts.asyncapi --write"
    )
    assert main(["--check"]) == 0


def test_every_event_has_a_channel_and_a_send_operation(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    for model in REGISTRY.models():
        channel = document["channels"][model.wire_name()]
        assert channel["address"] == model.subject()
        operation = document["operations"][f"{model.service}.send{model.event_type()}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{model.wire_name()}"}
    assert len(document["channels"]) == len(REGISTRY.models())


def test_messages_carry_the_dedup_header(document: dict[str, Any]) -> None:
    headers = document["components"]["schemas"]["EventHeaders"]
    assert "Nats-Msg-Id" in headers["required"]
    for message in document["components"]["messages"].values():
        assert message["headers"] == {"$ref": "#/components/schemas/EventHeaders"}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves_inside_the_document(document: dict[str, Any]) -> None:
    for ref in set(_refs(document)):
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict), ref
            assert part in target, ref
            target = target[part]


def test_component_keys_follow_the_asyncapi_rule(document: dict[str, Any]) -> None:
    for section in document["components"].values():
        assert all(_COMPONENT_KEY.match(key) for key in section)


def test_the_document_is_plain_json(document: dict[str, Any]) -> None:
    assert json.loads(render(document)) == document
