"""Personal data protection: field-level encryption with per-subject keys (ADR 0051).

- `master`: master keys behind a KMS-shaped interface (key file, environment, secret).
- `keys`: the owning service's data keys (`privacy_keys`), wrapped by the master key.
- `seal`: events' sensitive fields sealed on append, opened where they are decoded.
- `transport`: command, query and reply bodies sealed on NATS.
"""

from ishc_runtime.privacy.columns import (
    COLUMN_PREFIX,
    EVENT_COLUMN_PREFIX,
    as_date,
    as_flag,
    keep,
    keep_text,
    protect,
    protect_text,
    reveal,
    sealing_with,
)
from ishc_runtime.privacy.keys import ERASED, KeyRef, SubjectKeys
from ishc_runtime.privacy.master import (
    LocalMasterKeys,
    MasterKeyError,
    MasterKeys,
    UnknownMasterKey,
    WrongMasterKey,
    from_environment,
    load_key_file,
    new_key,
)
from ishc_runtime.privacy.seal import (
    PREFIX,
    KeySource,
    Privacy,
    SubjectErased,
    UnreadableValue,
    is_sealed,
    open_value,
    seal_value,
)
from ishc_runtime.privacy.transport import (
    TransportError,
    TransportKey,
    load_transport_key_file,
    transport_key_from_environment,
)

__all__ = [
    "COLUMN_PREFIX",
    "ERASED",
    "EVENT_COLUMN_PREFIX",
    "PREFIX",
    "KeyRef",
    "KeySource",
    "LocalMasterKeys",
    "MasterKeyError",
    "MasterKeys",
    "Privacy",
    "SubjectErased",
    "SubjectKeys",
    "TransportError",
    "TransportKey",
    "UnknownMasterKey",
    "UnreadableValue",
    "WrongMasterKey",
    "as_date",
    "as_flag",
    "from_environment",
    "is_sealed",
    "keep",
    "keep_text",
    "load_key_file",
    "load_transport_key_file",
    "new_key",
    "open_value",
    "protect",
    "protect_text",
    "reveal",
    "seal_value",
    "sealing_with",
    "transport_key_from_environment",
]
