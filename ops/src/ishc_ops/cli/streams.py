"""Declaring and inspecting the services' JetStream streams (top-level commands)."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from ishc_contracts import subjects
from ishc_ops import status as statuses
from ishc_ops.cli.common import (
    AsJson,
    DatabaseUrl,
    NatsUrl,
    emit_json,
    fmt_bytes,
    run,
    table,
)
from ishc_ops.connect import bus, database
from ishc_ops.targets import (
    KNOWN_SERVICES,
    database_url,
    env_var,
    nats_url,
)
from ishc_runtime.relay.streams import StreamSpec, declare_stream

app = typer.Typer()


@app.command("declare-streams")
def declare_streams(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Services whose stream to declare (repeat)."),
    ] = None,
    replicas: Annotated[
        int, typer.Option("--replicas", min=1, max=5, help="Stream replicas (3 in production).")
    ] = 1,
    duplicate_window: Annotated[
        float, typer.Option("--duplicate-window", min=1, help="Dedup window, seconds.")
    ] = 120.0,
    nats_url_: NatsUrl = None,
    as_json: AsJson = False,
) -> None:
    """Declare each service's JetStream stream: create it, or update it to the one
    configuration its relay checks (its own event subjects only, file storage, kept
    forever, atomic batches). Idempotent: run it at every deployment, before the services.

    Run it as the NATS [b]ops[/b] user: services may not create or update streams, their
    own included (docs/adr/0030), and run with <SERVICE>_DECLARE_STREAM=false so that their
    relay only checks the stream.

    [b]Examples[/b]

      ishc declare-streams --replicas 3

      ishc declare-streams -s finance --nats-url nats://ops:secret@nats:4222 --json
    """
    declared = (*subjects.SERVICES, *subjects.RECORD_STREAMS)  # + the gateway's access audit
    names = list(service or declared)
    unknown = sorted(set(names) - set(declared))
    if unknown:
        raise typer.BadParameter(
            f"no stream of its own: {', '.join(unknown)}", param_hint="--service"
        )

    async def work() -> list[dict[str, Any]]:
        done = []
        async with bus(nats_url(nats_url_)) as nc:
            js = nc.jetstream(timeout=10)
            for name in names:
                spec = StreamSpec(name, replicas=replicas, duplicate_window=duplicate_window)
                outcome = await declare_stream(js, spec)
                done.append({"service": name, "stream": spec.name, "outcome": outcome})
        return done

    result = run(work())
    if as_json:
        emit_json({"streams": result})
        return
    table("Declared streams", result, ["service", "stream", "outcome"])


@app.command()
def streams(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Services to show store positions for (repeat)."),
    ] = None,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    as_json: AsJson = False,
) -> None:
    """JetStream streams, and each service's store position against what its relay published.

    Store positions are shown for the services named with --service, else for every known
    service whose ISHC_<SERVICE>_DATABASE_URL is set. --database-url applies to a single
    --service.

    [b]Examples[/b]

      ishc streams

      ishc streams -s finance --database-url postgresql://ishc@db/finance --json
    """
    services = list(service or [s for s in KNOWN_SERVICES if os.environ.get(env_var(s))])
    if database_url_ and len(services) != 1:
        raise typer.BadParameter("--database-url needs exactly one --service")

    async def work() -> dict[str, Any]:
        async with bus(nats_url(nats_url_)) as nc:
            found = await statuses.jetstream_streams(nc)
        positions = []
        for name in services:
            async with database(database_url(name, database_url_)) as pool:
                positions.append(await statuses.store_position(pool, name))
        return {"streams": found, "services": positions}

    result = run(work())
    if as_json:
        emit_json(result)
        return
    for row in result["streams"]:
        row["size"] = fmt_bytes(int(row["bytes"]))
    table(
        "JetStream streams",
        result["streams"],
        [
            "stream",
            "messages",
            "size",
            "first_seq",
            "first_time",
            "last_seq",
            "last_time",
            "replicas",
        ],
    )
    if result["services"]:
        table(
            "Store vs relayed",
            result["services"],
            [
                "service",
                "stream",
                "store_max_seq",
                "unsequenced",
                "relayed_seq",
                "relay_lag",
                "relayed_at",
            ],
        )
