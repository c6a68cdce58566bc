"""What an operator's view shows of sensitive fields (contracts' `sensitive` marks).

Masked by default. Revealed (audited by the caller before anything is read): values the
service sealed are opened with its own master keys when the operator holds them (`Opener`);
without them, or for a value another service sealed, a sealed value is shown as `SEALED`,
never as its ciphertext. Values stored before their field was marked are clear already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ishc_contracts import EventRegistry
from ishc_ops.targets import USAGE, OpsError
from ishc_runtime.privacy import MasterKeyError, Privacy, is_sealed

MASK = "***"
SEALED = "[sealed: reveal with the owning service's master keys (--master-keys-file)]"


def mask(registry: EventRegistry, wire_name: str, data: Any, reveal: bool) -> Any:
    if reveal or not isinstance(data, dict):
        return data
    hidden = registry.sensitive(wire_name)
    return {k: (MASK if k in hidden and v is not None else v) for k, v in data.items()}


@dataclass(frozen=True)
class Disclosure:
    """How one command shows events: masked, or revealed (opened where it can be)."""

    registry: EventRegistry
    reveal: bool = False
    privacy: Privacy | None = None

    async def show(self, wire_name: str, stream_id: str, data: Any) -> Any:
        if not self.reveal or not isinstance(data, dict):
            return mask(self.registry, wire_name, data, self.reveal)
        if self.privacy is not None and wire_name.split(".", 1)[0] == self.privacy.service:
            # Opened here, or the erased stand-in where the person's key is destroyed.
            try:
                data = await self.privacy.open_all(wire_name, stream_id, data)
            except MasterKeyError as error:
                raise OpsError(str(error), USAGE) from error
        return {k: (SEALED if is_sealed(v) else v) for k, v in data.items()}
