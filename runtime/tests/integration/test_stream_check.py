"""A service's stream, declared by an operator and only checked by its relay.

The check is what keeps a relay from publishing into a stream that has been reshaped (say,
to also capture other services' commands and replies): it refuses to start, naming what is
wrong, and the operator's declare puts the stream back.
"""

from __future__ import annotations

import pytest
from nats.aio.client import Client
from nats.js.api import StreamConfig

from ishc_contracts import subjects
from ishc_runtime.relay import (
    Relay,
    RelayConfig,
    StreamMisconfigured,
    StreamSpec,
    check_stream,
    declare_stream,
)

pytestmark = pytest.mark.integration


def checking_relay(nc: Client, service: str) -> Relay:
    # ensure_stream needs no database.
    return Relay(None, nc, RelayConfig(service=service, declare_stream=False))  # type: ignore[arg-type]


async def test_a_checking_relay_refuses_a_missing_stream_and_accepts_a_declared_one(
    nats_client: Client, stream_suffix: str
) -> None:
    service = f"chk{stream_suffix}"
    relay = checking_relay(nats_client, service)
    with pytest.raises(StreamMisconfigured, match="does not exist"):
        await relay.ensure_stream()
    js = nats_client.jetstream()
    spec = StreamSpec(service)
    assert await declare_stream(js, spec) == "created"
    assert await declare_stream(js, spec) == "unchanged"
    await relay.ensure_stream()  # as declared: the relay starts


async def test_a_stream_rewritten_to_capture_other_subjects_is_refused_until_redeclared(
    nats_client: Client, stream_suffix: str
) -> None:
    service = f"chk{stream_suffix}"
    js = nats_client.jetstream()
    spec = StreamSpec(service)
    await declare_stream(js, spec)
    captured = [*subjects.stream_subjects(service), f"ishc.cmd.{service}x.*"]
    rewritten = spec.config()
    await js.update_stream(
        StreamConfig.from_response({**rewritten.as_dict(), "subjects": captured})
    )

    with pytest.raises(StreamMisconfigured, match="subjects"):
        await checking_relay(nats_client, service).ensure_stream()
    with pytest.raises(StreamMisconfigured, match="subjects"):
        await check_stream(js, spec)

    assert await declare_stream(js, spec) == "updated"
    info = await js.stream_info(spec.name)
    assert info.config.subjects == subjects.stream_subjects(service)
    await check_stream(js, spec)


async def test_fewer_replicas_than_asked_are_refused(
    nats_client: Client, stream_suffix: str
) -> None:
    service = f"chk{stream_suffix}"
    js = nats_client.jetstream()
    await declare_stream(js, StreamSpec(service, replicas=1))
    with pytest.raises(StreamMisconfigured, match="num_replicas"):
        await check_stream(js, StreamSpec(service, replicas=3))
