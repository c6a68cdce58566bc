"""`ishc`: the operator command. Every command explains itself (`--help`, with examples),
prints tables by default and JSON with `--json`, asks before it changes anything (`--yes`
skips the question) and shows progress for long work.

Exit codes: 0 done; 1 failed; 2 usage (bad option, missing database URL); 3 not found
(service, projection, parked message, stream); 4 cannot reach Postgres or NATS;
5 declined at the confirmation (nothing changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

import asyncpg
import structlog
import typer
from nats.errors import Error as NatsError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from ishc_contracts import Actor, CommandEnvelope, new_id, subjects
from ishc_contracts.privacy import ERASE_SUBJECT, EraseSubject
from ishc_ops import bundle as bundles
from ishc_ops import dlq as dead_letters
from ishc_ops import history as histories
from ishc_ops import republish as republishing
from ishc_ops import status as statuses
from ishc_ops.connect import bus, database
from ishc_ops.rebuild import Rate, Rebuild
from ishc_ops.targets import (
    DECLINED,
    FAILED,
    KNOWN_SERVICES,
    OpsError,
    database_url,
    env_var,
    find_projection,
    nats_url,
    target,
)
from ishc_ops.verify import Verifier
from ishc_runtime.clock import VN_TZ
from ishc_runtime.observability.logging import configure_logging
from ishc_runtime.privacy import transport_key_from_environment
from ishc_runtime.relay.streams import StreamSpec, declare_stream
from ishc_runtime.service.client import send_command
from ishc_runtime.store.migrations import migrate

T = TypeVar("T")

EXIT_CODES = """
[b]Exit codes[/b]: 0 done · 1 failed · 2 usage · 3 not found · 4 Postgres/NATS unreachable ·
5 declined at the confirmation (nothing changed).
"""

app = typer.Typer(
    name="ishc",
    help="Operate the ISHC services: streams, projections, dead letters, events, republish."
    + EXIT_CODES,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
projections_app = typer.Typer(
    help="Projection status and blue-green rebuilds.", no_args_is_help=True
)
dlq_app = typer.Typer(
    help="Dead letters: events a projection parked (or stopped on).", no_args_is_help=True
)
store_app = typer.Typer(help="A service's event store.", no_args_is_help=True)
events_app = typer.Typer(help="Read events from a service's store.", no_args_is_help=True)


@app.callback()
def _quiet_runtime() -> None:
    # The runtime's log lines (a lease taken, a retrying runner during a rebuild…) go to
    # stderr and only from warnings up: stdout is for tables and --json. The process's own
    # stderr, which outlives a test runner's temporary capture of `sys.stderr`.
    configure_logging("ishc", json=False, level="WARNING", stream=sys.__stderr__)


app.add_typer(projections_app, name="projections")
app.add_typer(dlq_app, name="dlq")
app.add_typer(store_app, name="store")
app.add_typer(events_app, name="events")
subjects_app = typer.Typer(
    help="Data subjects: erase a person's personal data (docs/privacy.md).", no_args_is_help=True
)
app.add_typer(subjects_app, name="subjects")

Service = Annotated[str, typer.Argument(help="Service: membership, finance, care, advocacy…")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="The service's Postgres DSN \\[env ISHC_<SERVICE>_DATABASE_URL]"
    ),
]
NatsUrl = Annotated[
    str | None, typer.Option("--nats-url", help="NATS server \\[env ISHC_NATS_URL]")
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


# -- plumbing ----------------------------------------------------------------------------------


def console() -> Console:
    return Console(width=max(Console().width, 140), highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except OpsError as error:
        err_console().print(f"[red]error:[/red] {error}")
        raise typer.Exit(error.code) from error
    except KeyboardInterrupt as error:
        err_console().print("[yellow]cancelled[/yellow]")
        if any(thread.is_alive() for thread in _PROMPTS):
            # A question is still waiting on stdin: the work is cleaned up already (its
            # `finally` blocks ran), and Python cannot shut down around a blocked reader.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(FAILED)
        raise typer.Exit(FAILED) from error
    except (asyncpg.PostgresError, NatsError, OSError, TimeoutError) as error:
        err_console().print(f"[red]failed:[/red] {type(error).__name__}: {error}")
        raise typer.Exit(FAILED) from error


def checked(make: Callable[[], T]) -> T:
    """Resolve arguments (service, projection, URLs) with the same error reporting as `run`."""
    try:
        return make()
    except OpsError as error:
        err_console().print(f"[red]error:[/red] {error}")
        raise typer.Exit(error.code) from error


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    view = Table(title=title, title_justify="left")
    for column in columns:
        view.add_column(column.replace("_", " "))
    for row in rows:
        view.add_row(*("-" if row.get(c) is None else str(row.get(c)) for c in columns))
    console().print(view)


def confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not typer.confirm(question, default=False):
        err_console().print("declined: nothing changed")
        raise typer.Exit(DECLINED)


_PROMPTS: list[threading.Thread] = []


async def ask(question: str) -> bool:
    """Ask on a daemon thread: Ctrl-C at the prompt cancels the work (which cleans up) and
    the process exits without waiting for an answer that will never come."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bool] = loop.create_future()

    def prompt() -> None:
        try:
            result: Any = typer.confirm(question, default=False)
        except BaseException as error:  # click's Abort on EOF, anything else: a "no"
            result = error
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(_settle, answer, result)

    thread = threading.Thread(target=prompt, name="ishc-confirm", daemon=True)
    _PROMPTS.append(thread)
    thread.start()
    return await answer


def _settle(answer: asyncio.Future[bool], result: Any) -> None:
    if not answer.done():
        answer.set_result(result is True)


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)  # pragma: no cover


# -- streams ---------------------------------------------------------------------------------


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
    names = list(service or subjects.SERVICES)
    unknown = sorted(set(names) - set(subjects.SERVICES))
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


# -- projections -------------------------------------------------------------------------------


@projections_app.command("status")
def projections_status(
    service: Service,
    sample: Annotated[
        float, typer.Option(help="Seconds to watch checkpoints for an events/s figure (0: off).")
    ] = 0.0,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    as_json: AsJson = False,
) -> None:
    """Per projection and source: checkpoint, lag, events skipped (unaccounted: should be 0),
    parked and blocking dead letters, state, and the instance leading it.

    State: [b]caught up[/b], [b]behind[/b], [b]stopped[/b] (a `stop` projection waits on a
    poison event: see `ishc dlq list`), [b]rebuilding[/b] (a blue-green rebuild is running).

    [b]Examples[/b]

      ishc projections status finance

      ishc projections status membership --sample 5 --json
    """
    where = checked(lambda: target(service, database_url_, nats_url_))

    async def work() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with database(where.database_url) as pool, bus(where.nats_url) as nc:
            rows = await statuses.projection_status(pool, nc, where.definition)
            roles = statuses.service_roles(where.definition)
            led = await statuses.leaders(pool, roles)
            others = [{"role": role, "leader": led[role]} for role in roles]
            if sample > 0:
                await asyncio.sleep(sample)
                later = await statuses.projection_status(pool, nc, where.definition)
                for before, after in zip(rows, later, strict=True):
                    after["events_per_s"] = round(
                        (after["checkpoint"] - before["checkpoint"]) / sample, 1
                    )
                rows = later
            return rows, others

    rows, others = run(work())
    if as_json:
        emit_json(rows)
        return
    columns = ["projection", "kind", "source", "policy", "checkpoint", "stream_last_seq", "lag"]
    columns += ["events_per_s"] if sample > 0 else []
    columns += ["unaccounted", "parked", "blocking", "state", "leader", "updated_at"]
    table(f"Projections of {service}", rows, columns)
    table("Other roles", others, ["role", "leader"])


@projections_app.command("rebuild")
def projections_rebuild(
    service: Service,
    name: Annotated[str, typer.Argument(help="The projection to rebuild.")],
    keep_old: Annotated[
        bool, typer.Option(help="Keep the replaced tables in schema retired_<name>.")
    ] = False,
    batch_size: Annotated[int, typer.Option(help="Events per transaction.")] = 500,
    start_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start the new version at the first event recorded at/after this ISO time"
            " (no offset: Viet Nam time), with empty tables. See above for when it is safe.",
        ),
    ] = None,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Blue-green rebuild: fold the projection from the first event (or from a time) into
    shadow tables beside the live ones, compare, then switch atomically.

    The live read model keeps serving throughout; readers wait a moment at the switch,
    never fail. Ctrl-C (or answering no) before the switch drops the shadow and leaves the
    live version untouched. Reactions (policies that send commands) are never rebuilt.

    [b]--from TIME[/b] folds only the events recorded at/after TIME into EMPTY tables: the
    new version forgets everything earlier. Safe only when no row depends on an earlier
    event: read models of recent activity (a window you are willing to start afresh), or
    per-event fact rows where older history is deliberately dropped. Unsafe for balances,
    ledgers, rosters and anything that updates rows created by earlier events (those
    updates would find no row). The comparison shows what differs before you confirm.

    [b]Examples[/b]

      ishc projections rebuild finance finance_ledger

      ishc projections rebuild membership membership_roster --yes --json

      ishc projections rebuild care care_visits_recent --from 2025-01-01T00:00+07:00
    """
    where = checked(lambda: target(service, database_url_, nats_url_))
    projection = checked(lambda: find_projection(where.definition, name))
    start_at = parse_when(start_from, end_of_day=False)
    out = err_console() if as_json else console()

    async def work() -> dict[str, Any]:
        async with database(where.database_url) as pool, bus(where.nats_url) as nc:
            rebuild = Rebuild(
                pool,
                nc,
                where.database_url,
                where.definition,
                projection,
                batch_size=batch_size,
                start_at=start_at,
            )
            try:
                await rebuild.prepare()
                rate = Rate()
                with Progress(
                    TextColumn("[b]rebuilding[/b] {task.description}"),
                    BarColumn(),
                    TaskProgressColumn(),
                    TextColumn("{task.completed}/{task.total} events"),
                    TextColumn("{task.fields[rate]:.0f} events/s"),
                    TimeRemainingColumn(),
                    console=out,
                    transient=as_json,
                ) as bar:
                    task = bar.add_task(name, total=None, rate=0.0)

                    def progress(done: int, total: int) -> None:
                        bar.update(task, completed=done, total=total, rate=rate.add(done))

                    await rebuild.fill(progress)
                comparison = [row.row() for row in await rebuild.compare()]
                if not as_json:
                    table(
                        "Live vs rebuilt (live keeps moving)",
                        comparison,
                        [
                            "table",
                            "live_rows",
                            "folded_rows",
                            "same",
                            "live_checksum",
                            "folded_checksum",
                        ],
                    )
                if not yes:
                    answer = await ask(f"Switch {name} to the rebuilt tables?")
                    if not answer:
                        raise OpsError("declined: the live read model is untouched", DECLINED)
                checkpoints = await rebuild.switch(keep_old=keep_old)
                return {
                    "projection": name,
                    "switched": True,
                    "started_at": start_at.isoformat() if start_at else None,
                    "from_sequences": rebuild.first_sequences,
                    "checkpoints": checkpoints,
                    "comparison": comparison,
                    "kept_old_in": rebuild.retired if keep_old else None,
                }
            finally:
                try:
                    if not rebuild.swapped:
                        await asyncio.shield(rebuild.discard_shadow())
                finally:
                    await rebuild.close()

    result = run(work())
    if as_json:
        emit_json(result)
    else:
        console().print(
            f"[green]switched[/green] {name} to the rebuilt tables at {result['checkpoints']}"
        )


@projections_app.command("verify")
def projections_verify(
    service: Service,
    name: Annotated[
        str | None, typer.Argument(help="One projection (default: every projection).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Events per transaction of the fold.")] = 500,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    as_json: AsJson = False,
) -> None:
    """Fold a projection's streams again beside it and compare table by table: rows and
    checksums, live vs folded. Exit code 1 if any table differs.

    The fold is the blue-green rebuild's shadow, without the switch: it never passes the
    live checkpoints, and the comparison is made with the live projection held for a moment
    at exactly those checkpoints (its runner waits at its next batch), so both have applied
    the same events. The live projection is never changed; the shadow is dropped afterwards.
    Reactions (policies that send commands) have no tables and are not verified.

    [b]Examples[/b]

      ishc projections verify finance

      ishc projections verify care care_cases --json
    """
    where = checked(lambda: target(service, database_url_, nats_url_))
    chosen = (
        [checked(lambda: find_projection(where.definition, name))]
        if name is not None
        else [p for p in where.definition.projections if p.tables]
    )
    out = err_console() if as_json else console()

    async def work() -> list[dict[str, Any]]:
        async with database(where.database_url) as pool, bus(where.nats_url) as nc:
            verifier = Verifier(
                pool, nc, where.database_url, where.definition, chosen, batch_size=batch_size
            )
            try:
                with out.status(f"folding {len(chosen)} projection(s) of {service}"):
                    results = await verifier.check()
            finally:
                await asyncio.shield(verifier.close())
        return [
            {
                "projection": result.projection,
                "checkpoints": result.checkpoints,
                "same": result.same,
                "tables": [table.row() for table in result.tables],
            }
            for result in results
        ]

    results = run(work())
    if as_json:
        emit_json(results)
    else:
        for result in results:
            table(
                f"{result['projection']} at {result['checkpoints']}: "
                + ("equal to a fold of its streams" if result["same"] else "DIFFERS"),
                result["tables"],
                ["table", "live_rows", "folded_rows", "same", "live_checksum", "folded_checksum"],
            )
    if not all(result["same"] for result in results):
        differing = ", ".join(r["projection"] for r in results if not r["same"])
        err_console().print(f"[red]differs from a fold of its streams:[/red] {differing}")
        raise typer.Exit(FAILED)


# -- dead letters -------------------------------------------------------------------------------

ProjectionOpt = Annotated[
    str | None, typer.Option("--projection", "-p", help="Only this projection.")
]


@dlq_app.command("list")
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


@dlq_app.command("show")
def dlq_show(
    service: Service,
    parked_id: Annotated[int, typer.Argument(metavar="ID", help="Dead letter id (dlq list).")],
    reveal: Annotated[
        bool, typer.Option(help="Show sensitive fields unmasked. Audited (logged with your name).")
    ] = False,
    database_url_: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """One dead letter: reason, the error's detail, headers and the decoded event
    (sensitive fields masked unless --reveal, which is audited).

    [b]Examples[/b]

      ishc dlq show care 42
    """
    where = checked(lambda: target(service, database_url_, None))
    if reveal:
        audit_reveal(service, f"dead letter {parked_id}")

    async def work() -> dict[str, Any]:
        async with database(where.database_url) as pool:
            return await dead_letters.show_parked(pool, where.definition, parked_id, reveal)

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


@dlq_app.command("redrive")
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


@dlq_app.command("discard")
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


# -- store -------------------------------------------------------------------------------------


@store_app.command("republish")
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


# -- events ------------------------------------------------------------------------------------


def audit_reveal(service: str, what: str) -> None:
    """An audit record (JSON line on stderr, whatever the logging set-up) and a notice."""
    operator = getpass.getuser()
    audit = structlog.wrap_logger(
        structlog.PrintLogger(file=sys.stderr),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
    )
    audit.warning("ops.reveal", audit=True, operator=operator, service=service, target=what)
    err_console().print(
        f"[yellow]reveal is audited:[/yellow] {operator} viewed sensitive fields of {what}"
    )


def parse_when(value: str | None, *, end_of_day: bool = True) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"not an ISO date or time: {value!r}") from error
    if when.tzinfo is None:  # a date or naive time is Viet Nam time (UTC+7)
        if len(value) == 10 and end_of_day:  # a bare date: the end of that day
            when = when.replace(hour=23, minute=59, second=59, microsecond=999999)
        when = when.replace(tzinfo=VN_TZ)
    return when.astimezone(UTC)


@events_app.command("show")
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
    reveal: Annotated[
        bool, typer.Option(help="Show sensitive fields unmasked. Audited (logged with your name).")
    ] = False,
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
    if reveal:
        audit_reveal(service, stream_id)

    async def work() -> dict[str, Any]:
        async with database(where.database_url) as pool:
            return await histories.history(
                pool,
                where.definition,
                stream_id,
                as_of=when,
                up_to_version=up_to_version,
                reveal=reveal,
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


@events_app.command("tail")
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
    reveal: Annotated[
        bool, typer.Option(help="Show sensitive fields unmasked. Audited (logged with your name).")
    ] = False,
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
    if reveal:
        audit_reveal(service, "events tail")

    async def work() -> list[dict[str, Any]]:
        async with database(where_.database_url) as pool:
            start = after_seq
            if last is not None:
                start = await histories.start_for_last(pool, last, selection)
            shown: list[dict[str, Any]] = []
            quiet_since = asyncio.get_running_loop().time()
            while True:
                found = await histories.page(
                    pool, where_.definition, start, limit, selection, reveal
                )
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


# -- export / import ---------------------------------------------------------------------------


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


@subjects_app.command("erase")
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


def main() -> None:  # pragma: no cover - the console script
    app(prog_name="ishc")


if __name__ == "__main__":  # pragma: no cover
    main()
