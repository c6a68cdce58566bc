"""A service's event store: republishing."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from ishc_ops import republish as republishing
from ishc_ops.cli.common import (
    AsJson,
    DatabaseUrl,
    NatsUrl,
    Service,
    Yes,
    ask,
    checked,
    console,
    emit_json,
    err_console,
    run,
)
from ishc_ops.connect import bus, database
from ishc_ops.targets import (
    DECLINED,
    OpsError,
    database_url,
    nats_url,
)

app = typer.Typer(help="A service's event store.", no_args_is_help=True)


@app.command("republish")
def store_republish(
    service: Service,
    from_seq: Annotated[int, typer.Option("--from", min=1, help="First store seq to send.")],
    to_seq: Annotated[
        int | None,
        typer.Option("--to", help="Last store seq (default: the relay's checkpoint)."),
    ] = None,
    replicas: Annotated[int, typer.Option(help="Replicas if the stream must be created.")] = 1,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Re-publish a service's events from its Postgres store to its JetStream stream, e.g.
    after losing the stream. Same subjects, body and headers as the relay; nothing already
    in the stream is sent again (it resumes after the stream's last Ishc-Seq, and the
    stream's dedup drops repeats). The relay's lock is held meanwhile.

    [b]Examples[/b]

      ishc store republish finance --from 1

      ishc store republish care --from 1200 --to 1500 --yes --json
    """
    url = checked(lambda: database_url(service, database_url_))

    async def work() -> dict[str, Any]:
        async with database(url) as pool, bus(nats_url(nats_url_)) as nc:
            plan = await republishing.make_plan(pool, nc, service, from_seq, to_seq)
            summary = {
                "stream": plan.stream,
                "stream_exists": plan.stream_exists,
                "stream_holds_up_to": plan.in_stream,
                "from": plan.start,
                "to": plan.end,
                "to_send": plan.count,
            }
            if plan.count == 0:
                return {**summary, "sent": 0}
            if not as_json:
                console().print(
                    f"{plan.stream}: holds up to store seq {plan.in_stream}; will publish store"
                    f" seq {plan.start}..{plan.end} ({plan.count} events)"
                )
            if not yes:
                question = f"Publish {plan.count} events to {plan.stream}?"
                if not await ask(question):
                    raise OpsError("declined: nothing changed", DECLINED)
            out = err_console() if as_json else console()
            with Progress(
                TextColumn("publishing"),
                BarColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=out,
                transient=as_json,
            ) as bar:
                task = bar.add_task("publish", total=plan.count)
                sent = await republishing.republish(
                    pool, nc, service, plan, lambda n: bar.advance(task, n), replicas
                )
            return {**summary, "sent": sent}

    result = run(work())
    if as_json:
        emit_json(result)
    else:
        console().print(f"sent {result['sent']} events to {result['stream']}")
