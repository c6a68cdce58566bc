"""AsyncAPI 3.0 description of every event on the bus, generated from the catalogue.

    python -m ishc_contracts.asyncapi --check   # CI: exit 1 if contracts/asyncapi.json drifted
    python -m ishc_contracts.asyncapi --write

One channel per event subject `ishc.<service>.<aggregate>.<EventType>`, one `send` operation
per event by its owning service. A message body is the `EventEnvelope` JSON whose `data` is
the event's payload; headers carry the dedup id and store position set by the relay.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from ishc_contracts import subjects
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.envelope import MSG_ID_HEADER, SEQ_HEADER, TYPE_HEADER, EventEnvelope
from ishc_contracts.events import Event
from ishc_contracts.registry import EventRegistry
from ishc_contracts.snapshots import render

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "asyncapi.json"
_SCHEMAS = "#/components/schemas/"

HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [MSG_ID_HEADER, SEQ_HEADER, TYPE_HEADER],
    "properties": {
        MSG_ID_HEADER: {
            "type": "string",
            "format": "uuid",
            "description": "The event_id: JetStream drops a repeat within the duplicate window",
        },
        SEQ_HEADER: {
            "type": "string",
            "pattern": "^[1-9][0-9]*$",
            "description": "The owning store's commit-ordered seq; a relay resumes after it",
        },
        TYPE_HEADER: {"type": "string", "description": "Wire name <service>.<EventType>"},
        "Nats-Batch-Id": {"type": "string", "description": "Set on atomic-batch publishes"},
        "Nats-Batch-Sequence": {"type": "string", "pattern": "^[1-9][0-9]*$"},
        "Nats-Batch-Commit": {"type": "string", "const": "1"},
        "traceparent": {"type": "string", "description": "W3C trace context of the command"},
    },
}


def _version() -> str:
    try:
        return metadata.version("ishc-contracts")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def _summary(model: type[Event]) -> str:
    doc = (model.__doc__ or model.__name__).strip()
    return " ".join(doc.split("\n\n", 1)[0].split())


def _put(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        msg = f"two different schemas named {name!r} in the AsyncAPI components"
        raise ValueError(msg)
    schemas[name] = schema


def _hoist(schema: dict[str, Any], schemas: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Move a pydantic schema's `$defs` into components (their refs already point there)."""
    for name, definition in schema.pop("$defs", {}).items():
        _put(schemas, f"{prefix}{name}", definition)
    return schema


def build_document(registry: EventRegistry = REGISTRY) -> dict[str, Any]:
    """The AsyncAPI document for every event `registry` knows, as a plain dict."""
    schemas: dict[str, Any] = {"EventHeaders": HEADERS_SCHEMA}
    envelope = EventEnvelope.model_json_schema(ref_template=_SCHEMAS + "{model}")
    _put(schemas, "EventEnvelope", _hoist(envelope, schemas, ""))
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for model in registry.models():
        service, name, wire = model.service, model.event_type(), model.wire_name()
        payload_name = f"{wire}.v{model.schema_version}"
        prefix = f"{service}."
        payload = model.model_json_schema(ref_template=_SCHEMAS + prefix + "{model}")
        _put(schemas, payload_name, _hoist(payload, schemas, prefix))
        tags = [{"name": service}]
        messages[wire] = {
            "name": wire,
            "title": name,
            "summary": _summary(model),
            "contentType": "application/json",
            "headers": {"$ref": _SCHEMAS + "EventHeaders"},
            "payload": {
                "allOf": [
                    {"$ref": _SCHEMAS + "EventEnvelope"},
                    {
                        "type": "object",
                        "required": ["type", "schema_version", "data"],
                        "properties": {
                            "type": {"const": wire},
                            "schema_version": {"const": model.schema_version},
                            "data": {"$ref": _SCHEMAS + payload_name},
                        },
                    },
                ]
            },
            "tags": tags,
        }
        channels[wire] = {
            "address": model.subject(),
            "title": f"{name} ({service})",
            "messages": {name: {"$ref": f"#/components/messages/{wire}"}},
            "tags": tags,
        }
        operations[f"{service}.send{name}"] = {
            "action": "send",
            "title": f"{service} publishes {name}",
            "channel": {"$ref": f"#/channels/{wire}"},
            "messages": [{"$ref": f"#/channels/{wire}/messages/{name}"}],
            "tags": tags,
        }
    services = sorted({model.service for model in registry.models()})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "ISHC platform events",
            "version": _version(),
            "description": (
                "Domain events of the Intergenerational Self-Help Club services, published "
                "to NATS JetStream (one stream per service). Wire names "
                "`<service>.<EventType>` never change; a new shape is a new schema_version."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {"host": "localhost:4222", "protocol": "nats", "description": "dev NATS"}
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
        "x-streams": {
            subjects.stream_name(service): subjects.stream_subjects(service) for service in services
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ishc_contracts.asyncapi")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare with the committed document")
    mode.add_argument("--write", action="store_true", help="(re)write the committed document")
    parser.add_argument("--path", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.write:
        args.path.write_text(text, encoding="utf-8")
        return 0
    if not args.path.exists() or args.path.read_text(encoding="utf-8") != text:
        sys.stderr.write(f"{args.path} is out of date: python -m ishc_contracts.asyncapi --write\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
