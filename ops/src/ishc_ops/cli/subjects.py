"""Data subjects: erasing a person's personal data by destroying their keys (docs/privacy.md)."""

from __future__ import annotations

import getpass
from typing import Annotated, Any
from uuid import UUID

import typer

from ishc_contracts import Actor, CommandEnvelope, new_id
from ishc_contracts.privacy import ERASE_SUBJECT, EraseSubject
from ishc_ops.cli.common import (
    AsJson,
    NatsUrl,
    Yes,
    checked,
    confirm,
    emit_json,
    err_console,
    run,
    table,
)
from ishc_ops.connect import bus
from ishc_ops.targets import FAILED, KNOWN_SERVICES, OpsError, nats_url
from ishc_runtime.privacy import transport_key_from_environment
from ishc_runtime.service.client import send_command

app = typer.Typer(
    help="Data subjects: erase a person's personal data (docs/privacy.md).", no_args_is_help=True
)


@app.command("erase")
def subjects_erase(
    person_id: Annotated[str, typer.Argument(help="The person's id (person_id).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. the person's request.")],
    legal_basis: Annotated[
        str, typer.Option("--legal-basis", help="e.g. 'Law 91/2025/QH15 art. 14'.")
    ],
    member_ids: Annotated[
        list[str] | None,
        typer.Option("--member-id", help="The person's member ids (loans know only those)."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who erases (recorded); default: your login.")
    ] = None,
    services: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only these services (default: every one)."),
    ] = None,
    nats_url_: NatsUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Destroy the person's data keys in every service (crypto-shredding): their names,
    birth dates, contact, health and disability data read as "\\[erased]" from then on;
    events, ids, dates and amounts stay. Irreversible. Recorded in each service with the
    reason, the legal basis and who did it. Commands travel sealed when ISHC_TRANSPORT_KEY
    is set (as the services have it).

    [b]Example[/b]

      ishc subjects erase 0190… --reason "request of the person" \\
        --legal-basis "Law 91/2025/QH15 art. 14" --member-id 0190…
    """

    def payload() -> EraseSubject:
        try:
            return EraseSubject(
                person_id=UUID(person_id),
                other_ids=tuple(UUID(m) for m in member_ids or ()),
                reason=reason,
                legal_basis=legal_basis,
            )
        except ValueError as error:
            raise OpsError(f"invalid erasure request: {error}", FAILED) from error

    erasure = checked(payload)
    url = nats_url(nats_url_)
    confirm(f"Erase every personal data of {person_id} in every service? It cannot be undone.", yes)
    actor = Actor(user_id=by or getpass.getuser(), role="national_admin")
    command_id = new_id()

    async def work() -> list[dict[str, Any]]:
        transport = transport_key_from_environment()
        async with bus(url) as nc:
            results = []
            for service in services or KNOWN_SERVICES:
                envelope = CommandEnvelope(
                    command_id=command_id,
                    type=ERASE_SUBJECT,
                    actor=actor,
                    payload=erasure.model_dump(mode="json"),
                )
                reply = await send_command(nc, service, envelope, transport=transport)
                results.append(
                    {
                        "service": service,
                        "done": reply.ok,
                        "keys_destroyed": (reply.result or {}).get("keys_destroyed", 0),
                        "problem": reply.problem.detail if reply.problem else None,
                    }
                )
            return results

    results = run(work())
    if as_json:
        emit_json(results)
    else:
        table(f"Erasure of {person_id}", results, ["service", "done", "keys_destroyed", "problem"])
    if not all(r["done"] for r in results):
        err_console().print("[red]not complete:[/red] run the same command again")
        raise typer.Exit(FAILED)
