"""Dead letters: events a projection parked (or stopped on)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from ishc_ops import dlq as dead_letters
from ishc_ops.cli.common import (
    AsJson,
    DatabaseUrl,
    Service,
    Yes,
    ask,
    checked,
    console,
    emit_json,
    run,
    table,
)
from ishc_ops.cli.revealing import MasterKeysFile, Reveal, disclosure
from ishc_ops.connect import database
from ishc_ops.targets import (
    DECLINED,
    FAILED,
    OpsError,
    database_url,
    target,
)

app = typer.Typer(
    help="Dead letters: events a projection parked (or stopped on).", no_args_is_help=True
)

ProjectionOpt = Annotated[
    str | None, typer.Option("--projection", "-p", help="Only this projection.")
]


@app.command("list")
def dlq_list(
    service: Service,
    projection: ProjectionOpt = None,
    include_resolved: Annotated[
        bool, typer.Option("--all", help="Include resolved ones (redriven, discarded…).")
    ] = False,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Open dead letters in stream order: reason, disposition (parked / blocking), attempts.

    [b]Examples[/b]

      ishc dlq list care

      ishc dlq list finance -p finance_ledger --all --json
    """
    url = checked(lambda: database_url(service, database_url_))

    async def work() -> list[dict[str, Any]]:
        async with database(url) as pool:
            return await dead_letters.list_parked(pool, projection, include_resolved)

    rows = run(work())
    if as_json:
        emit_json(rows)
        return
    table(
        f"Dead letters of {service}",
        rows,
        [
            "id",
            "projection",
            "source",
            "stream_seq",
            "event_type",
            "reason",
            "disposition",
            "attempts",
            "parked_at",
            "resolution",
        ],
    )


@app.command("show")
def dlq_show(
    service: Service,
    parked_id: Annotated[int, typer.Argument(metavar="ID", help="Dead letter id (dlq list).")],
    reveal: Reveal = False,
    master_keys_file: MasterKeysFile = None,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """One dead letter: reason, the error's detail, headers and the decoded event
    (sensitive fields masked unless --reveal, which is audited).

    [b]Examples[/b]

      ishc dlq show care 42
    """
    where = checked(lambda: target(service, database_url_, None))

    async def work() -> dict[str, Any]:
        async with database(where.database_url) as pool:
            shown = await disclosure(
                pool,
                where.definition,
                reveal=reveal,
                master_keys_file=master_keys_file,
                what=f"dead letter {parked_id}",
            )
            return await dead_letters.show_parked(pool, parked_id, shown)

    found = run(work())
    if as_json:
        emit_json(found)
        return
    out = console()
    for key, value in found.items():
        if key in ("payload", "headers"):
            continue
        out.print(f"[b]{key}[/b]: {value}")
    out.print("[b]headers[/b]:", json.dumps(found.get("headers"), indent=2, default=str))
    out.print("[b]event[/b]:", json.dumps(found.get("payload"), indent=2, default=str))


IdsArg = Annotated[
    list[int] | None, typer.Argument(metavar="[ID]...", help="Dead letter ids; none: all open.")
]


@app.command("redrive")
def dlq_redrive(
    service: Service,
    ids: IdsArg = None,
    projection: ProjectionOpt = None,
    database_url_: DatabaseUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Apply parked events again (after a fix), once each, in stream order; stops at the
    first that fails again (it stays parked). Blocking ones are not redriven here: fix the
    handler and restart the service, its runner applies them.

    [b]Examples[/b]

      ishc dlq redrive care 42

      ishc dlq redrive care -p care_visits --yes
    """
    where = checked(lambda: target(service, database_url_, None))

    async def work() -> list[dict[str, Any]]:
        async with database(where.database_url) as pool:
            rows = await dead_letters.plan(pool, ids or [], projection)
            if not rows:
                return []
            if not as_json:
                table("To redrive", rows, ["id", "projection", "source", "stream_seq"])
            if not yes:
                question = f"Redrive {len(rows)} dead letter(s) of {service}?"
                if not await ask(question):
                    raise OpsError("declined: nothing changed", DECLINED)
            return await dead_letters.redrive(pool, where.definition, rows)

    results = run(work())
    if as_json:
        emit_json(results)
    else:
        table("Redrive", results, ["id", "outcome", "error"]) if results else console().print(
            "nothing to redrive"
        )
    if any(r["outcome"] == "failed" for r in results):
        raise typer.Exit(FAILED)


@app.command("discard")
def dlq_discard(
    service: Service,
    ids: IdsArg = None,
    projection: ProjectionOpt = None,
    note: Annotated[str | None, typer.Option(help="Why, kept with the dead letter.")] = None,
    database_url_: DatabaseUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Mark parked events resolved without applying them (resolution 'discarded').

    [b]Examples[/b]

      ishc dlq discard care 42 --note "test data from the pilot"
    """
    url = checked(lambda: database_url(service, database_url_))

    async def work() -> list[int]:
        async with database(url) as pool:
            rows = await dead_letters.plan(pool, ids or [], projection)
            if not rows:
                return []
            if not as_json:
                table("To discard", rows, ["id", "projection", "source", "stream_seq"])
            if not yes:
                question = f"Discard {len(rows)} dead letter(s) of {service}?"
                if not await ask(question):
                    raise OpsError("declined: nothing changed", DECLINED)
            return await dead_letters.discard(pool, rows, note)

    done = run(work())
    if as_json:
        emit_json({"discarded": done})
    else:
        console().print(f"discarded: {done or 'none'}")
