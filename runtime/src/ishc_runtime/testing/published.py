"""Reading back what the relay put on a stream, for assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from nats.aio.client import Client
from nats.js.errors import NotFoundError


@dataclass(frozen=True)
class Published:
    stream_seq: int
    store_seq: int
    event_id: str
    stream_id: str
    version: int


async def read_stream(nc: Client, stream: str) -> list[Published]:
    js = nc.jetstream()
    info = await js.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq=seq)
        except NotFoundError:  # purged or deleted: a hole in the stream, not an event
            continue
        body = json.loads(msg.data or b"{}")
        found.append(
            Published(
                stream_seq=seq,
                store_seq=int((msg.headers or {})["Ishc-Seq"]),
                event_id=(msg.headers or {})["Nats-Msg-Id"],
                stream_id=body["stream_id"],
                version=body["version"],
            )
        )
    return found


async def message_count(nc: Client, stream: str) -> int:
    info = await nc.jetstream().stream_info(stream)
    return int(info.state.messages)
