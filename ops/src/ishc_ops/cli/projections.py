"""Projection status, blue-green rebuilds and verification."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from ishc_ops import status as statuses
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
    parse_when,
    run,
    table,
)
from ishc_ops.cli.revealing import MasterKeysFile, master_keys_if_given
from ishc_ops.connect import bus, database
from ishc_ops.opening import for_folding
from ishc_ops.rebuild import Rate, Rebuild
from ishc_ops.targets import (
    DECLINED,
    FAILED,
    OpsError,
    find_projection,
    target,
)
from ishc_ops.verify import Verifier
from ishc_runtime.privacy import transport_key_from_environment

app = typer.Typer(help="Projection status and blue-green rebuilds.", no_args_is_help=True)


@app.command("status")
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


@app.command("rebuild")
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
    master_keys_file: MasterKeysFile = None,
    database_url_: DatabaseUrl = None,
    nats_url_: NatsUrl = None,
    yes: Yes = False,
    as_json: AsJson = False,
) -> None:
    """Blue-green rebuild: fold the projection from the first event (or from a time) into
    shadow tables beside the live ones, compare, then switch atomically.

    The fill reads the bulk of the history with an ordered consumer (no acks, batches of
    1,000 or --batch-size if larger), then catches up on what arrived meanwhile with a
    durable consumer; the bar shows the phase, events/s and the time remaining. The live
    read model keeps serving throughout; readers wait a moment at the switch, never fail.
    Ctrl-C (or answering no) before the switch drops the shadow and leaves the live
    version untouched. Reactions (policies that send commands) are never rebuilt.

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
            privacy = await for_folding(
                pool, nc, service, where.definition.registry, [projection],
                master_keys_if_given(service, master_keys_file), transport_key_from_environment(),
            )  # fmt: skip
            rebuild = Rebuild(
                pool,
                nc,
                where.database_url,
                where.definition,
                projection,
                batch_size=batch_size,
                start_at=start_at,
                privacy=privacy,
            )
            try:
                await rebuild.prepare()
                rate = Rate()
                with Progress(
                    TextColumn("[b]rebuilding[/b] {task.description}, {task.fields[phase]}"),
                    BarColumn(),
                    TaskProgressColumn(),
                    TextColumn("{task.completed}/{task.total} events"),
                    TextColumn("{task.fields[rate]:.0f} events/s"),
                    TimeRemainingColumn(),
                    console=out,
                    transient=as_json,
                ) as bar:
                    task = bar.add_task(name, total=None, rate=0.0, phase=rebuild.phase)

                    def progress(done: int, total: int) -> None:
                        bar.update(
                            task,
                            completed=done,
                            total=total,
                            rate=rate.add(done),
                            phase=rebuild.phase,
                        )

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
                    "ordered_reads": [dataclasses.asdict(r) for r in rebuild.ordered_reads],
                    "ordered_error": rebuild.ordered_error,
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


@app.command("verify")
def projections_verify(
    service: Service,
    name: Annotated[
        str | None, typer.Argument(help="One projection (default: every projection).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Events per transaction of the fold.")] = 500,
    master_keys_file: MasterKeysFile = None,
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
            privacy = await for_folding(
                pool, nc, service, where.definition.registry, chosen,
                master_keys_if_given(service, master_keys_file), transport_key_from_environment(),
            )  # fmt: skip
            verifier = Verifier(
                pool,
                nc,
                where.database_url,
                where.definition,
                chosen,
                batch_size=batch_size,
                privacy=privacy,
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
