"""Data keys handed to another service under a grant (`ishc_contracts.privacy.GRANTS`).

The reader asks the owner on `ishc.keys.<owner>` for the keys of (subject, category) pairs;
the owner answers with the keys of the granted categories only (a destroyed key as null), the
request and the answer sealed with the transport key: data keys never cross the bus in clear.
The reader keeps them in memory only. In production the NATS permissions decide who may
publish on `ishc.keys.<owner>` (deploy/nats), which is what makes the `reader` name trusted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence

from nats.aio.client import Client as NatsClient

from ishc_contracts.privacy import granted, keys_subject
from ishc_runtime.privacy.keys import KeyRef, SubjectKeys
from ishc_runtime.privacy.transport import TransportKey


class GrantRefused(RuntimeError):
    """The owner could not be asked, or refused the request."""


class GrantedKeys:
    """A reader's `KeySource` for one owning service."""

    def __init__(
        self,
        nc: NatsClient,
        owner: str,
        reader: str,
        transport: TransportKey,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.nc = nc
        self.owner = owner
        self.reader = reader
        self.transport = transport
        self.timeout = timeout

    async def fetch(self, refs: Sequence[KeyRef]) -> Mapping[KeyRef, bytes | None]:
        subject = keys_subject(self.owner)
        body = json.dumps(
            {"reader": self.reader, "keys": [[ref.subject, ref.category] for ref in refs]}
        ).encode()
        reply = await self.nc.request(
            subject, self.transport.seal(body, subject), timeout=self.timeout
        )
        answer = json.loads(self.transport.open(reply.data, f"{subject}.reply"))
        if "error" in answer:
            raise GrantRefused(str(answer["error"]))
        return {
            KeyRef(item[0], item[1]): None if item[2] is None else base64.b64decode(item[2])
            for item in answer["keys"]
        }


async def answer_grant(
    owner: str, keys: SubjectKeys, transport: TransportKey, body: bytes
) -> bytes:
    """The owner's answer to a key request (sealed), granted categories only."""
    subject = keys_subject(owner)
    try:
        request = json.loads(transport.open(body, subject))
        reader = str(request["reader"])
        wanted = [KeyRef(str(s), str(c)) for s, c in request["keys"]]
    except (ValueError, KeyError, TypeError) as error:
        answer: dict[str, object] = {"error": f"not a key request: {error}"}
    else:
        allowed = granted(owner, reader)
        found = await keys.raw([ref for ref in wanted if ref.category in allowed])
        # Before the keys leave: a handover that cannot be recorded hands nothing over.
        await keys.record_served(reader, [ref for ref, key in found.items() if key is not None])
        answer = {
            "keys": [
                [ref.subject, ref.category, None if key is None else base64.b64encode(key).decode()]
                for ref, key in found.items()
            ]
        }
    return transport.seal(json.dumps(answer).encode(), f"{subject}.reply")
