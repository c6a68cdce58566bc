"""Data subjects: erasing a person's personal data by destroying their keys (docs/privacy.md)."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

import typer

from ishc_contracts import Actor, CommandEnvelope, QueryEnvelope, new_id
from ishc_contracts.audit import AccessReport
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
from ishc_runtime.service.client import ask, send_command

app = typer.Typer(
    help="Data subjects: access reports and erasure of a person's personal data (docs/privacy.md).",
    no_args_is_help=True,
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


@app.command("access-report")
def subjects_access_report(
    person_id: Annotated[str, typer.Argument(help="The person's id (person_id).")],
    since: Annotated[
        str | None, typer.Option("--since", help="From this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="To this day, included.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 1000,
    by: Annotated[
        str | None, typer.Option("--by", help="Who asks (recorded); default: your login.")
    ] = None,
    nats_url_: NatsUrl = None,
    as_json: AsJson = False,
) -> None:
    """The data subject's access report: every read of the person's personal data through the
    gateway (who, role, what was read and which fields, when, why), from membership's access
    audit. Holds ids, field names and purposes only, never a value. Queries travel sealed when
    ISHC_TRANSPORT_KEY is set.

    [b]Example[/b]

      ishc subjects access-report 0190… --since 2026-01-01 --json
    """

    def params() -> AccessReport:
        try:
            return AccessReport(
                person_id=UUID(person_id),
                since=_day(since),
                until=_day(until),
                limit=limit,
            )
        except ValueError as error:
            raise OpsError(f"invalid access report request: {error}", FAILED) from error

    query = checked(params)
    url = nats_url(nats_url_)
    actor = Actor(user_id=by or getpass.getuser(), role="national_admin")

    async def work() -> dict[str, Any]:
        async with bus(url) as nc:
            reply = await ask(
                nc,
                AccessReport.service,
                QueryEnvelope(
                    type=AccessReport.__name__,
                    actor=actor,
                    params=query.model_dump(mode="json", exclude_none=True),
                ),
                transport=transport_key_from_environment(),
            )
        if not reply.ok or reply.result is None:
            detail = reply.problem.detail if reply.problem else "no answer"
            raise OpsError(f"membership did not answer: {detail}", FAILED)
        return reply.result

    report = run(work())
    if as_json:
        emit_json(report)
        return
    rows = [
        {
            **read,
            "field_names": ", ".join(read["field_names"]),
            "categories": ", ".join(read["categories"]),
        }
        for read in report["reads"]
    ]
    table(
        f"Reads of {person_id}'s personal data",
        rows,
        ["read_at", "principal_id", "role", "route", "purpose", "categories", "field_names"],
    )
    if report.get("operator_reveals"):
        table(
            "Operators' reveals", report["operator_reveals"], ["revealed_at", "operator", "target"]
        )
    if report.get("service_grants"):
        table(
            "Keys handed to other services (grants)",
            report["service_grants"],
            ["last_served_at", "reader", "category", "subject", "times"],
        )
    if report.get("truncated"):
        err_console().print(
            f"[yellow]more than {limit} reads:[/yellow] narrow with --since/--until"
        )


def _day(value: str | None) -> date | None:
    """A day of Viet Nam's calendar, as the audit's days are."""
    return None if value is None else date.fromisoformat(value)
