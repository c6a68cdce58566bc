"""Every NATS stream and subject name, built in one place.

Events: `ishc.<service>.<aggregate>.<EventType>` on stream `<SERVICE>`.
Commands and queries (request/reply): `ishc.cmd.<service>.<CommandType>` and
`ishc.qry.<service>.<QueryType>`: a different second token, so no event stream ever captures a
request (a stream that captured one would answer it with a PubAck).
"""

from __future__ import annotations

import re

ROOT = "ishc"
SERVICES = ("membership", "finance", "care", "advocacy")
# Streams of facts recorded outside any event store: the gateway's access audit (ADR 0053).
RECORD_STREAMS = ("gateway",)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


_RESERVED = frozenset({"cmd", "qry"})


def _token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value) or (what == "service" and value in _RESERVED):
        msg = f"{what} {value!r} is not a valid NATS subject token"
        raise ValueError(msg)
    return value


def stream_name(service: str) -> str:
    return _token(service, "service").upper()


def event_subject(service: str, aggregate: str, event_type: str) -> str:
    return ".".join(
        (
            ROOT,
            _token(service, "service"),
            _token(aggregate, "aggregate"),
            _token(event_type, "event type"),
        )
    )


def stream_subjects(service: str) -> list[str]:
    """Subjects a service's event stream captures (excludes its cmd/qry request subjects)."""
    return [f"{ROOT}.{_token(service, 'service')}.*.*"]


def all_events(service: str) -> str:
    return f"{ROOT}.{_token(service, 'service')}.*.*"


def command_subject(service: str, command_type: str) -> str:
    return f"{ROOT}.cmd.{_token(service, 'service')}.{_token(command_type, 'command type')}"


def query_subject(service: str, query_type: str) -> str:
    return f"{ROOT}.qry.{_token(service, 'service')}.{_token(query_type, 'query type')}"


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: `*` is exactly one token, a final `>` one or more tokens."""
    wanted = pattern.split(".")
    tokens = subject.split(".")
    if "" in wanted or "" in tokens:
        msg = f"malformed subject or filter: {pattern!r} / {subject!r}"
        raise ValueError(msg)
    for index, part in enumerate(wanted):
        if part == ">":
            if index != len(wanted) - 1:
                msg = f"'>' must be the last token of {pattern!r}"
                raise ValueError(msg)
            return len(tokens) > index
        if index >= len(tokens) or part not in ("*", tokens[index]):
            return False
    return len(tokens) == len(wanted)


def all_commands(service: str) -> str:
    """What a service's command subscriber listens on (one queue group per service)."""
    return f"{ROOT}.cmd.{_token(service, 'service')}.*"


def all_queries(service: str) -> str:
    return f"{ROOT}.qry.{_token(service, 'service')}.*"
