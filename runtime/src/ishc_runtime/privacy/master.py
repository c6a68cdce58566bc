"""Master keys behind a small KMS-shaped interface: wrap and unwrap data keys, nothing else.

A data key (one per data subject and category, `keys.py`) never leaves the service in clear and
is stored only wrapped by a master key. The master key comes from configuration: a local key
file for `make run` and tests, an environment variable or mounted secret in deployment; a
cloud KMS or an HSM would implement the same two calls. Rotation adds a new current key and
keeps the old ones for unwrapping until `rotate` has re-wrapped every data key: the events,
sealed with the data keys, are never re-encrypted.

A key file or variable holds JSON `{"current": "<id>", "keys": {"<id>": "<base64 32 bytes>"}}`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_NONCE_BYTES = 12


class MasterKeyError(RuntimeError):
    """The master key configuration cannot open this service's data keys."""


class UnknownMasterKey(MasterKeyError):
    def __init__(self, key_id: str, known: list[str]) -> None:
        self.key_id = key_id
        super().__init__(
            f"data keys are wrapped by master key {key_id!r}, which the configuration does not "
            f"hold (it holds {', '.join(known) or 'none'}): restore that key, or keep it "
            "configured until `ishc keys rotate` has re-wrapped every data key"
        )


class WrongMasterKey(MasterKeyError):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"master key {key_id!r} does not open the data keys wrapped under that id: the key "
            "file or secret holds a different key than the one they were wrapped with"
        )


class MasterKeys(Protocol):
    """What a key management service offers: wrap under the current key, unwrap under any."""

    @property
    def current_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalMasterKeys:
    """Master keys held in process memory (from a file, a variable or a secret)."""

    current: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            msg = f"current master key {self.current!r} is not among the keys given"
            raise MasterKeyError(msg)
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                msg = f"master key {key_id!r} must be {KEY_BYTES} bytes, not {len(key)}"
                raise MasterKeyError(msg)

    @property
    def current_id(self) -> str:
        return self.current

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + AESGCM(self.keys[self.current]).encrypt(nonce, data_key, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise UnknownMasterKey(key_id, sorted(self.keys))
        try:
            return AESGCM(key).decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise WrongMasterKey(key_id) from None

    def with_new_current(self, key_id: str, key: bytes | None = None) -> LocalMasterKeys:
        """These keys plus a new current one (random unless given): the first step of a
        rotation."""
        return LocalMasterKeys(key_id, {**self.keys, key_id: key or new_key()})

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": {k: base64.b64encode(v).decode() for k, v in sorted(self.keys.items())},
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, *, where: str) -> LocalMasterKeys:
        try:
            document = json.loads(text)
            keys = {k: base64.b64decode(v, validate=True) for k, v in document["keys"].items()}
            return cls(str(document["current"]), keys)
        except MasterKeyError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            msg = (
                f'{where} is not a master key document ({{"current": id, "keys": {{id: base64}}}})'
            )
            raise MasterKeyError(msg) from error


class NoMasterKeys:
    """Master keys that unwrap nothing: a `Privacy` over them (`Privacy.without_keys`) reads
    every sealed value as its erased stand-in and never asks for a data key."""

    current_id = "none"

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        raise MasterKeyError("no master keys here")

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        raise MasterKeyError("no master keys here")


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def load_key_file(path: Path, *, create: bool = False) -> LocalMasterKeys:
    """The master keys in `path`; with `create`, a fresh file (mode 0600) when there is none,
    as `make run` and tests want. Deployments never create: a lost key must be an error."""
    if not path.exists():
        if not create:
            msg = f"master key file {path} does not exist"
            raise MasterKeyError(msg)
        keys = LocalMasterKeys("k1", {"k1": new_key()})
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(keys.to_json())
        return keys
    return LocalMasterKeys.from_json(path.read_text(encoding="utf-8"), where=str(path))


def from_environment(name: str = "ISHC_MASTER_KEYS") -> LocalMasterKeys | None:
    """The master keys in variable `name` (a document, as in a key file), if set."""
    text = os.environ.get(name)
    return None if not text else LocalMasterKeys.from_json(text, where=f"${name}")
