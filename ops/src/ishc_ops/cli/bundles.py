"""A club's history exported to a bundle and imported from one (top-level commands)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from ishc_ops import bundle as bundles
from ishc_ops.cli.common import (
    AsJson,
    DatabaseUrl,
    Yes,
    ask,
    checked,
    console,
    emit_json,
    err_console,
    run,
)
from ishc_ops.connect import database
from ishc_ops.targets import (
    DECLINED,
    KNOWN_SERVICES,
    OpsError,
    database_url,
    env_var,
    target,
)
from ishc_runtime.store.migrations import migrate

app = typer.Typer()


def _services(given: list[str] | None, database_url_: str | None) -> list[str]:
    chosen = list(given or [s for s in KNOWN_SERVICES if os.environ.get(env_var(s))])
    if database_url_ and len(chosen) != 1:
        raise typer.BadParameter("--database-url needs exactly one --service")
    if not chosen:
        raise typer.BadParameter("no service: pass --service or set ISHC_<SERVICE>_DATABASE_URL")
    return chosen


ServicesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service", "-s", help="Services to include (repeat); default: those with a DSN set."
    ),
]


@app.command("export")
def export_club(
    club: Annotated[str, typer.Argument(help="The club's id (uuid).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Bundle file (default club-<id>.ishc.gz).")
    ] = None,
    service: ServicesOpt = None,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Write a portable, checksummed bundle of one club's streams (every stream holding an
    event of the club), from each service's store, for an office with poor connectivity or
    to move the club to another deployment. Reads only.

    [b]Examples[/b]

      ishc export 6f1c… -o club.ishc.gz

      ishc export 6f1c… -s membership -s finance --json
    """
    services = _services(service, database_url_)
    path = output or Path(f"club-{club}.ishc.gz")

    async def work() -> dict[str, Any]:
        found: dict[str, list[dict[str, Any]]] = {}
        for name in services:
            async with database(database_url(name, database_url_)) as pool:
                found[name] = await bundles.club_events(pool, club)
        checksum = bundles.write_bundle(path, club, found)
        counts = {name: len(rows) for name, rows in found.items()}
        return {"bundle": str(path), "club_id": club, "events": counts, "checksum": checksum}

    result = run(work())
    if as_json:
        emit_json(result)
    else:
        console().print(
            f"wrote {result['bundle']}: {result['events']} events, {result['checksum']}"
        )


@app.command("import")
def import_bundle(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `ishc export`.")],
    service: ServicesOpt = None,
    database_url_: DatabaseUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Import a club bundle into this deployment's stores: checksum verified first, the
    runtime's tables created if the database is empty, each service's events added in one
    transaction with their own ids, versions and times. Idempotent: importing again adds
    nothing. The relays publish the new events and the projections fold them.

    [b]Examples[/b]

      ishc import club.ishc.gz

      ishc import club.ishc.gz -s membership --database-url postgresql://ishc@db/membership --yes
    """
    read = checked(lambda: bundles.read_bundle(bundle))
    services = list(service or read.events)
    unknown = [s for s in services if s not in read.events]
    if unknown:
        raise typer.BadParameter(f"not in the bundle: {', '.join(unknown)}")
    if database_url_ and len(services) != 1:
        raise typer.BadParameter("--database-url needs exactly one --service")
    targets = {s: checked(lambda s=s: target(s, database_url_, None)) for s in services}  # type: ignore[misc]

    async def work() -> dict[str, Any]:
        counts = {s: len(read.events[s]) for s in services}
        if not as_json:
            console().print(
                f"bundle of club {read.club_id} ({read.created_at}), {read.checksum}: {counts}"
            )
        if not yes:
            question = f"Import {sum(counts.values())} events into {', '.join(services)}?"
            if not await ask(question):
                raise OpsError("declined: nothing changed", DECLINED)
        added: dict[str, int] = {}
        out = err_console() if as_json else console()
        with Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            console=out,
            transient=as_json,
        ) as bar:
            for name, where in targets.items():
                await migrate(where.database_url, *where.definition.migrations)
                task = bar.add_task(name, total=counts[name])
                async with database(where.database_url) as pool:
                    added[name] = await bundles.import_events(
                        pool,
                        read.events[name],
                        lambda n, task=task: bar.advance(task, n),  # type: ignore[misc]
                    )
        return {"club_id": read.club_id, "in_bundle": counts, "added": added}

    result = run(work())
    if as_json:
        emit_json(result)
    else:
        console().print(f"added {result['added']} (already present: the rest)")
