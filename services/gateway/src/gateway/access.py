"""Access audit at the edge: every answer that shows personal data is recorded before it is
sent (ADR 0053, docs/privacy.md).

What is recorded: the caller (id, role), the persons shown (every `person_id` / `member_id` in
the answer), the names and categories of the personal fields shown, the route, when, and the
purpose (`ISHC-Purpose`, checked against the `access_purposes` reference list; each service's
routes have a default). Never a value: a record holds ids, names and codes only.

Durability: the record is an `AccessRecorded` event on the gateway's JetStream stream, sent with
`Nats-Msg-Id = access_id`, and the answer leaves only after the stream acknowledged it. So a
gateway that dies after answering has already stored the record, one that dies before has
shown nothing, and several gateways need no coordination. A record that cannot be stored
refuses the read (503): no personal data without its audit record. The cost is one JetStream
publish per read (no service round trip); membership projects the records afterwards.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import structlog
from nats.aio.client import Client as NatsClient

from gateway import problems
from gateway.auth import Principal
from ishc_contracts import Actor, EventEnvelope, EventMetadata, new_id, subjects
from ishc_contracts.audit import (
    ACCESS_PURPOSES,
    MAX_SUBJECTS,
    PURPOSE_HEADER,
    AccessRecorded,
    default_purpose,
)
from ishc_contracts.catalogue import REGISTRY, all_commands
from ishc_contracts.events import SensitiveCategory, sensitive_categories
from ishc_contracts.reference import reference
from ishc_contracts.vietnam import VN_TZ
from ishc_runtime.relay.streams import StreamSpec, check_stream, declare_stream

log = structlog.get_logger(__name__)

AUDIT_SOURCE = AccessRecorded.service  # the stream GATEWAY
# Keys whose values name a person (or one of their memberships) in an answer.
SUBJECT_KEYS = frozenset({"person_id", "member_id"})
# Marked names too common to mean personal data in an answer (a claim's `status`, a
# scheme's `level`): left out; what answers show of them goes under the derived names below.
_GENERIC = frozenset({"status", "level", "facts", "note"})
# Values read models derive from personal data and show under names of their own.
_DERIVED: Mapping[str, SensitiveCategory] = {
    "age": "identity",
    "poverty_status": "poverty",
    "poor_or_near_poor": "poverty",
    "disability_level": "disability",
    "has_disability": "disability",
    "disability": "disability",
    "ethnic_minority": "ethnicity",
}


def _answer_fields() -> dict[str, SensitiveCategory]:
    found: dict[str, SensitiveCategory] = {}
    for model in [*REGISTRY.models(), *all_commands()]:
        for name, category in sensitive_categories(model).items():
            if name not in _GENERIC:
                found.setdefault(name, category)
    return {**found, **_DERIVED}


ANSWER_FIELDS = _answer_fields()


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key), inner
            yield from _walk(inner)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def shown(answer: Mapping[str, Any]) -> tuple[list[UUID], list[str]]:
    """The persons and the personal fields an answer shows (fields with a value only)."""
    persons: dict[UUID, None] = {}
    fields: set[str] = set()
    for key, value in _walk(dict(answer)):
        if key in SUBJECT_KEYS and value is not None:
            try:
                persons[UUID(str(value))] = None
            except ValueError:
                continue
        elif key in ANSWER_FIELDS and value not in (None, "", [], {}):
            fields.add(key)
    return list(persons), sorted(fields)


MAX_PURPOSE_LENGTH = 64


def purpose_of(header: str | None, service: str) -> str:
    """The caller's purpose (a code of the list, aliases allowed), or the route's default."""
    if header is None or not header.strip():
        return default_purpose(service)
    if len(header) > MAX_PURPOSE_LENGTH:
        # Codes are short: a long header is not a purpose, and is not echoed back.
        msg = (
            "a purpose is a code of the access_purposes list"
            f" (at most {MAX_PURPOSE_LENGTH} characters)"
        )
        raise problems.invalid("unknown purpose", PURPOSE_HEADER, msg)
    listed = reference(ACCESS_PURPOSES)
    code = listed.canonical(header.strip())
    today = datetime.now(VN_TZ).date()
    if not listed.accepts(code, today):
        raise problems.invalid("unknown purpose", PURPOSE_HEADER, listed.refusal(code, today))
    return code


def records(
    principal: Principal,
    route: str,
    purpose: str,
    answer: Mapping[str, Any],
    correlation_id: UUID | None,
    at: datetime,
) -> list[EventEnvelope]:
    """The audit records for one answer: none when it shows no personal field."""
    persons, fields = shown(answer)
    if not fields:
        return []
    categories = sorted({ANSWER_FIELDS[f] for f in fields})
    parts = [persons[i : i + MAX_SUBJECTS] for i in range(0, len(persons), MAX_SUBJECTS)] or [[]]
    actor = Actor(user_id=principal.sub, role=principal.role.value)
    out = []
    for number, part in enumerate(parts, start=1):
        access_id = new_id()
        event = AccessRecorded(
            access_id=access_id,
            read_at=at,
            principal_id=principal.sub,
            role=principal.role.value,
            route=route,
            purpose=purpose,
            subject_ids=tuple(part),
            field_names=tuple(fields),
            categories=tuple(categories),
            correlation_id=correlation_id,
            part=number,
        )
        out.append(
            EventEnvelope(
                event_id=access_id,
                type=AccessRecorded.wire_name(),
                schema_version=AccessRecorded.schema_version,
                stream_id=f"access-{access_id}",
                stream_type=AccessRecorded.aggregate,
                version=1,
                recorded_at=at,
                metadata=EventMetadata(
                    correlation_id=correlation_id or access_id, actor=actor, occurred_at=at
                ),
                data=event.model_dump(mode="json"),
            )
        )
    return out


class AccessLog(Protocol):
    async def record(self, envelopes: Sequence[EventEnvelope]) -> None:
        """Store every record durably, or raise."""


class MemoryAccessLog:
    """For tests with a fake bus: what would have been published."""

    def __init__(self) -> None:
        self.envelopes: list[EventEnvelope] = []

    async def record(self, envelopes: Sequence[EventEnvelope]) -> None:
        self.envelopes.extend(envelopes)

    def events(self) -> list[AccessRecorded]:
        return [AccessRecorded.model_validate(e.data) for e in self.envelopes]


class JetStreamAccessLog:
    """Publishes each record with `Nats-Msg-Id` and waits for the stream's acknowledgement."""

    def __init__(self, nc: NatsClient, timeout: float = 5.0) -> None:
        self.js = nc.jetstream(timeout=timeout)
        self.subject = AccessRecorded.subject()

    async def ensure_stream(self, *, declare: bool, replicas: int = 1) -> None:
        spec = StreamSpec(AUDIT_SOURCE, replicas=replicas)
        if declare:
            await declare_stream(self.js, spec)
        else:
            await check_stream(self.js, spec)

    async def record(self, envelopes: Sequence[EventEnvelope]) -> None:
        # At once, not one ack after another: a large read is several records, and the answer
        # waits for every one (any that fails fails the read: nothing is shown).
        await asyncio.gather(
            *(
                self.js.publish(
                    self.subject,
                    json.dumps(envelope.model_dump(mode="json")).encode(),
                    stream=subjects.stream_name(AUDIT_SOURCE),
                    headers={"Nats-Msg-Id": str(envelope.event_id)},
                )
                for envelope in envelopes
            )
        )


async def audited(
    log_: AccessLog | None,
    principal: Principal,
    route: str,
    purpose: str,
    answer: Mapping[str, Any],
    correlation_id: UUID | None,
    at: datetime,
) -> None:
    """Record the reads `answer` stands for before it is sent; a 503 if they cannot be."""
    envelopes = records(principal, route, purpose, answer, correlation_id, at)
    if not envelopes:
        return
    try:
        if log_ is None:
            msg = "no access log"
            raise RuntimeError(msg)
        await log_.record(envelopes)
    except Exception as error:
        log.warning("access.audit_failed", route=route, error=type(error).__name__)
        raise problems.ProblemError(
            problems.make(
                "service-unavailable",
                503,
                "the read could not be recorded in the access audit; nothing was shown",
            ),
            headers={"Retry-After": "5"},
        ) from error
