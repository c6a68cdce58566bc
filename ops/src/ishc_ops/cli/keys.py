"""Master key rotation: re-wrap a service's data keys under its new master key (ADR 0051)."""

from __future__ import annotations

from typing import Any

import typer

from ishc_ops.cli.common import AsJson, DatabaseUrl, Service, checked, emit_json, run, table
from ishc_ops.cli.revealing import MasterKeysFile, master_keys
from ishc_ops.connect import database
from ishc_ops.targets import USAGE, OpsError, database_url
from ishc_runtime.privacy import MasterKeyError, SubjectKeys

app = typer.Typer(
    help="Data keys: rotate a service's master key (docs/privacy.md).", no_args_is_help=True
)


@app.command("rotate")
def keys_rotate(
    service: Service,
    master_keys_file: MasterKeysFile = None,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Re-wrap every data key of SERVICE that is not under the current master key. Events
    are not touched (they are sealed with the data keys, which stay the same). Run it after
    giving the service a document whose `current` is the new key and which still holds the
    old ones; once it reports nothing left under an old key, the old keys can go.

    [b]Example[/b]

      ishc keys rotate membership --master-keys-file .ishc/keys/membership.master.json
    """
    url = checked(lambda: database_url(service, database_url_))
    keys = checked(lambda: master_keys(service, master_keys_file))

    async def work() -> dict[str, Any]:
        async with database(url) as pool:
            store = SubjectKeys(pool, keys)
            try:
                rewrapped = await store.rotate()
                checked_ids = await store.verify()
            except MasterKeyError as error:
                raise OpsError(str(error), USAGE) from error
            left = await pool.fetchval(
                "SELECT count(*) FROM privacy_keys WHERE wrapped IS NOT NULL"
                " AND master_key_id <> $1",
                keys.current_id,
            )
        return {
            "service": service,
            "current": keys.current_id,
            "rewrapped": rewrapped,
            "left_under_old_keys": left,
            "master_keys_checked": checked_ids,
        }

    result = run(work())
    if as_json:
        emit_json(result)
    else:
        table(f"Master key rotation of {service}", [result], list(result))
