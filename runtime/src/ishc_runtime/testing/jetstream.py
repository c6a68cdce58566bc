"""Per-test JetStream namespaces.

Why: the NATS server is shared by the whole session (and may be an external server given
by URL), so each test names its streams and subjects with a unique token and the
streams carrying that token are deleted afterwards. Tests then never see each other's
messages, whatever order they run in.
"""

from __future__ import annotations

import uuid

import nats


def unique_token() -> str:
    """Eight lower-case hex characters, valid in stream names and subject tokens."""
    return uuid.uuid4().hex[:8]


async def delete_streams_containing(nats_url: str, token: str, *, exact: bool = False) -> list[str]:
    """Delete every stream whose name contains ``token`` (or is it, with ``exact``)."""
    if not token:
        raise ValueError("refusing to delete streams matching an empty token")
    client = await nats.connect(nats_url, name="ishc-test-cleanup", connect_timeout=5)
    try:
        jetstream = client.jetstream()
        names: list[str] = []
        offset = 0
        while True:  # the server pages stream lists
            page = await jetstream.streams_info(offset=offset)
            if not page:
                break
            offset += len(page)
            names += [info.config.name for info in page if info.config.name]
        if exact:
            deleted = [name for name in names if name == token]
        else:
            deleted = [name for name in names if token.lower() in name.lower()]
        for name in deleted:
            await jetstream.delete_stream(name)
        return deleted
    finally:
        await client.close()
