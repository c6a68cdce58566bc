"""`--reveal`: recorded before anything is read, then opened with the service's master keys.

An operator who reveals without the service's master keys sees the values stored in clear
and a stand-in for every sealed one: never ciphertext, which says nothing to a person and
would only be copied into tickets.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import asyncpg
import structlog
import typer

from ishc_ops.cli.common import err_console
from ishc_ops.masking import Disclosure
from ishc_ops.reveals import record_reveal
from ishc_ops.targets import USAGE, OpsError
from ishc_runtime.privacy import (
    LocalMasterKeys,
    MasterKeyError,
    Privacy,
    SubjectKeys,
    load_key_file,
)
from ishc_runtime.service import ServiceDefinition

Reveal = Annotated[
    bool,
    typer.Option(
        help="Show sensitive fields unmasked, sealed ones opened with the service's master"
        " keys. Audited: recorded in the service's store (privacy_reveals) with your name"
        " before anything is shown."
    ),
]
MasterKeysFile = Annotated[
    Path | None,
    typer.Option(
        "--master-keys-file",
        help="The service's master key document \\[env <SERVICE>_MASTER_KEYS]",
    ),
]


def master_keys_if_given(service: str, path: Path | None) -> LocalMasterKeys | None:
    """The document given by file, or by the variable the service itself reads."""
    variable = f"{service.upper()}_MASTER_KEYS"
    try:
        if path is not None:
            return load_key_file(path)
        text = os.environ.get(variable)
        if text:
            return LocalMasterKeys.from_json(text, where=f"${variable}")
    except MasterKeyError as error:
        raise OpsError(str(error), USAGE) from error
    return None


def master_keys(service: str, path: Path | None) -> LocalMasterKeys:
    found = master_keys_if_given(service, path)
    if found is None:
        variable = f"{service.upper()}_MASTER_KEYS"
        msg = f"no master keys for {service}: pass --master-keys-file or set {variable}"
        raise OpsError(msg, USAGE)
    return found


async def disclosure(
    pool: asyncpg.Pool,
    definition: ServiceDefinition,
    *,
    reveal: bool,
    master_keys_file: Path | None,
    what: str,
    stream_id: str | None = None,
) -> Disclosure:
    """Masked without `reveal`; with it, the reveal recorded first (raises, and nothing is
    shown, when it cannot be) and the service's keys at hand when the operator has them."""
    if not reveal:
        return Disclosure(definition.registry)
    service = definition.name
    keys = master_keys_if_given(service, master_keys_file)
    await audit_reveal(pool, service, what, stream_id)
    if keys is None:
        err_console().print(
            f"[yellow]sealed values stay sealed:[/yellow] pass --master-keys-file or set"
            f" {service.upper()}_MASTER_KEYS to open them"
        )
        return Disclosure(definition.registry, reveal=True)
    privacy = Privacy(service, SubjectKeys(pool, keys), definition.registry)
    return Disclosure(definition.registry, reveal=True, privacy=privacy)


async def audit_reveal(
    pool: asyncpg.Pool, service: str, what: str, stream_id: str | None = None
) -> None:
    """Record the reveal in the service's store (`ishc_ops.reveals`; raises, and nothing is
    shown, when it cannot be), then an audit line (JSON on stderr) and a notice."""
    operator = getpass.getuser()
    reveal_id = await record_reveal(pool, operator, what, stream_id)
    audit = structlog.wrap_logger(
        structlog.PrintLogger(file=sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
    )
    audit.warning(
        "ops.reveal",
        audit=True,
        operator=operator,
        service=service,
        target=what,
        reveal_id=reveal_id,
    )
    err_console().print(
        f"[yellow]reveal is audited:[/yellow] {operator} viewed sensitive fields of {what}"
        f" (recorded in {service}'s privacy_reveals, #{reveal_id})"
    )
