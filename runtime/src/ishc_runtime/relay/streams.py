"""A service's JetStream stream: the one configuration it must have, declaring it, checking it.

Who declares: in production an operator's step (`ishc streams declare`, run as the NATS `ops`
user), never the service itself, because the right to create or update a stream is the right
to choose its subjects: a service that may update its own stream can make it capture other
services' commands and replies (docs/adr/0030). The service's relay then only checks, at
start, that the stream is there with the configuration below (`check_stream`), and refuses to
publish into anything else. In development and tests, where there are no NATS accounts, the
relay declares its stream itself (`declare_stream`), the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ishc_contracts import subjects


@dataclass(frozen=True)
class StreamSpec:
    """What a service's stream must be: file storage, kept forever, its own events only."""

    service: str
    replicas: int = 1
    duplicate_window: float = 120.0

    @property
    def name(self) -> str:
        return subjects.stream_name(self.service)

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=subjects.stream_subjects(self.service),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=0,
            num_replicas=self.replicas,
            duplicate_window=self.duplicate_window,
            allow_atomic=True,
            allow_direct=True,
        )


class StreamMisconfigured(RuntimeError):
    """The stream is missing, or is not what its service publishes into."""


async def declare_stream(js: JetStreamContext, spec: StreamSpec) -> str:
    """Create the stream, or update it to the spec; 'created', 'updated' or 'unchanged'."""
    wanted = spec.config()
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError:
        await js.add_stream(wanted)
        return "created"
    if not differences(info.config, spec):
        return "unchanged"
    await js.update_stream(wanted)
    return "updated"


async def check_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Raise `StreamMisconfigured` unless the stream exists exactly as the spec says (replicas
    at least as many: an operator may run more)."""
    try:
        info = await js.stream_info(spec.name)
    except NotFoundError as error:
        msg = f"stream {spec.name} does not exist: declare it (ishc streams declare)"
        raise StreamMisconfigured(msg) from error
    found = differences(info.config, spec)
    if found:
        msg = f"stream {spec.name} is not as declared ({'; '.join(found)}): ishc streams declare"
        raise StreamMisconfigured(msg)


def differences(actual: StreamConfig, spec: StreamSpec) -> list[str]:
    """What about `actual` differs from the spec, in words."""
    wanted = spec.config()
    found: list[str] = []

    def compare(name: str, have: Any, want: Any) -> None:
        if have != want:
            found.append(f"{name} is {have!r}, not {want!r}")

    compare("subjects", sorted(actual.subjects or []), sorted(wanted.subjects or []))
    compare("retention", actual.retention, wanted.retention)
    compare("storage", actual.storage, wanted.storage)
    compare("max_age", actual.max_age or 0, 0)
    compare("allow_atomic", bool(actual.allow_atomic), True)
    compare("allow_direct", bool(actual.allow_direct), True)
    compare("duplicate_window", actual.duplicate_window, wanted.duplicate_window)
    if (actual.num_replicas or 1) < spec.replicas:
        found.append(f"num_replicas is {actual.num_replicas}, fewer than {spec.replicas}")
    return found
