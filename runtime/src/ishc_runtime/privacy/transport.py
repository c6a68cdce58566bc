"""Request/reply bodies sealed with a transport key shared by the gateway and the services.

Commands and replies carry names, birth dates and vitals over NATS; JetStream only ever sees
events (sealed field by field), but anyone allowed to subscribe to `>` would see requests and
replies. So with a transport key configured every command, query, key grant and their
replies travel as `ISHC1 ‖ nonce ‖ AES-GCM(body)`, the subject as associated data (a body
replayed onto another subject does not open). The key comes from configuration like the
master key (`ISHC_TRANSPORT_KEY`, base64 of 32 bytes; a file next to the master keys in
`make run`). Without one, bodies travel in clear as before (unit tests, tools).
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ISHC1"
_NONCE_BYTES = 12
KEY_BYTES = 32


class TransportError(ValueError):
    """A body that should be sealed is not, or does not open with this key."""


@dataclass(frozen=True)
class TransportKey:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            msg = f"a transport key is {KEY_BYTES} bytes, not {len(self.key)}"
            raise TransportError(msg)

    def seal(self, body: bytes, subject: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return MAGIC + nonce + AESGCM(self.key).encrypt(nonce, body, subject.encode())

    def open(self, body: bytes, subject: str) -> bytes:
        if not body.startswith(MAGIC):
            msg = f"a message on {subject} is not sealed with the transport key"
            raise TransportError(msg)
        rest = body[len(MAGIC) :]
        try:
            return AESGCM(self.key).decrypt(
                rest[:_NONCE_BYTES], rest[_NONCE_BYTES:], subject.encode()
            )
        except InvalidTag:
            msg = f"a message on {subject} does not open with this transport key"
            raise TransportError(msg) from None

    @classmethod
    def from_text(cls, text: str) -> TransportKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except ValueError as error:
            msg = "a transport key is the base64 text of 32 random bytes"
            raise TransportError(msg) from error

    @classmethod
    def generate(cls) -> TransportKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def to_text(self) -> str:
        return base64.b64encode(self.key).decode()


def transport_key_from_environment(name: str = "ISHC_TRANSPORT_KEY") -> TransportKey | None:
    text = os.environ.get(name)
    return TransportKey.from_text(text) if text else None


def load_transport_key_file(path: Path, *, create: bool = False) -> TransportKey:
    if not path.exists():
        if not create:
            msg = f"transport key file {path} does not exist"
            raise TransportError(msg)
        key = TransportKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(key.to_text())
        return key
    return TransportKey.from_text(path.read_text(encoding="utf-8"))
