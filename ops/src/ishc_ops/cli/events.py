"""Reading events from a service's store, masked unless revealed (audited)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer

from ishc_ops import history as histories
from ishc_ops.cli.common import (
    AsJson,
    DatabaseUrl,
    Service,
    checked,
    console,
    emit_json,
    parse_when,
    run,
    table,
)
from ishc_ops.cli.revealing import MasterKeysFile, Reveal, disclosure
from ishc_ops.connect import database
from ishc_ops.targets import (
    target,
)

app = typer.Typer(help="Read events from a service's store.", no_args_is_help=True)


@app.command("show")
def events_show(
    service: Service,
    stream_id: Annotated[str, typer.Argument(help="The aggregate's stream, e.g. member-<uuid>.")],
    as_of: Annotated[
        str | None,
        typer.Option(help="Only events recorded by then: ISO date (end of day, VN) or time."),
    ] = None,
    up_to_version: Annotated[
        int | None, typer.Option(min=1, help="Only up to this version.")
    ] = None,
    reveal: Reveal = False,
    master_keys_file: MasterKeysFile = None,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """One aggregate's history, decoded, sensitive fields masked; and its state as of a date
    or version ("time travel") when the service's domain defines the aggregate.

    [b]Examples[/b]

      ishc events show membership member-6f1c…

      ishc events show finance fund-6f1c… --as-of 2026-03-31 --json

      ishc events show care visit-6f1c… --up-to-version 3 --reveal
    """
    where = checked(lambda: target(service, database_url_, None))
    when = parse_when(as_of)

    async def work() -> dict[str, Any]:
        async with database(where.database_url) as pool:
            shown = await disclosure(
                pool,
                where.definition,
                reveal=reveal,
                master_keys_file=master_keys_file,
                what=stream_id,
                stream_id=stream_id,
            )
            return await histories.history(
                pool,
                where.definition,
                stream_id,
                as_of=when,
                up_to_version=up_to_version,
                disclosure=shown,
            )

    found = run(work())
    if as_json:
        emit_json(found)
        return
    rows = [{**e, "data": json.dumps(e["data"], default=str)} for e in found["events"]]
    table(
        f"{stream_id} ({service})", rows, ["version", "seq", "recorded_at", "type", "actor", "data"]
    )
    if found["state"] is not None:
        console().print(
            f"[b]state at version {found['state']['version']}[/b]:",
            json.dumps(found["state"]["value"], indent=2, default=str),
        )


@app.command("tail")
def events_tail(
    service: Service,
    event_type: Annotated[
        str | None, typer.Option("--type", help="Event type, e.g. Deposited or sample.Deposited.")
    ] = None,
    stream_type: Annotated[
        str | None, typer.Option("--stream-type", help="Aggregate kind, e.g. member.")
    ] = None,
    club: Annotated[str | None, typer.Option(help="Only events of this club (metadata).")] = None,
    since: Annotated[str | None, typer.Option(help="Recorded at or after (ISO date/time).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Recorded at or before (ISO date/time).")
    ] = None,
    after_seq: Annotated[int, typer.Option("--after", help="Start after this store seq.")] = 0,
    last: Annotated[
        int | None, typer.Option(help="Start so as to show the last N matching events.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Events per page.")] = 50,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    idle_exit: Annotated[
        float, typer.Option(help="With --follow: stop after this many seconds with nothing new.")
    ] = 0.0,
    reveal: Reveal = False,
    master_keys_file: MasterKeysFile = None,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Page (or follow) a service's events in store order, filtered by type, aggregate kind,
    club and time. The next page starts after the last seq shown (--after).

    [b]Examples[/b]

      ishc events tail finance --type ContributionRecorded --since 2026-03-01 --limit 20

      ishc events tail care --club 6f1c… --follow

      ishc events tail membership --last 10 --json
    """
    where_ = checked(lambda: target(service, database_url_, None))
    selection = histories.EventFilter(
        event_type, stream_type, club, parse_when(since, end_of_day=False), parse_when(until)
    )
    # What was revealed, in words: the selection (a tail shows many streams).
    what = "events tail " + " ".join(
        f"{k}={v}"
        for k, v in (
            ("type", event_type),
            ("stream-type", stream_type),
            ("club", club),
            ("since", since),
            ("until", until),
        )
        if v is not None
    )

    async def work() -> list[dict[str, Any]]:
        async with database(where_.database_url) as pool:
            shown_as = await disclosure(
                pool,
                where_.definition,
                reveal=reveal,
                master_keys_file=master_keys_file,
                what=what.strip(),
            )
            start = after_seq
            if last is not None:
                start = await histories.start_for_last(pool, last, selection)
            shown: list[dict[str, Any]] = []
            quiet_since = asyncio.get_running_loop().time()
            while True:
                found = await histories.page(pool, start, limit, selection, shown_as)
                if found:
                    start = int(found[-1]["seq"])
                    quiet_since = asyncio.get_running_loop().time()
                    if follow:
                        _print_events(found, as_json)
                    shown += found
                if not follow:
                    return shown
                idle = asyncio.get_running_loop().time() - quiet_since
                if idle_exit and idle >= idle_exit:
                    return shown
                if len(found) < limit:
                    await asyncio.sleep(1.0 if not idle_exit else min(1.0, idle_exit / 4))

    shown = run(work())
    if not follow:
        _print_events(shown, as_json)


def _print_events(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for row in rows:  # one JSON object per line: easy to pipe and to follow
            typer.echo(json.dumps(row, default=str))
        return
    flat = [{**r, "data": json.dumps(r["data"], default=str)} for r in rows]
    table("", flat, ["seq", "recorded_at", "type", "stream_id", "version", "club_id", "data"])
