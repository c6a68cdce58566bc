"""`ishc`: the operator command. Every command explains itself (`--help`, with examples),
prints tables by default and JSON with `--json`, asks before it changes anything (`--yes`
skips the question) and shows progress for long work.

Exit codes: 0 done; 1 failed; 2 usage (bad option, missing database URL); 3 not found
(service, projection, parked message, stream); 4 cannot reach Postgres or NATS;
5 declined at the confirmation (nothing changed).
"""

from __future__ import annotations

import sys

import typer

from ishc_ops.cli import bundles, dead_letters, events, projections, store, streams, subjects
from ishc_runtime.observability.logging import configure_logging

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


@app.callback()
def _quiet_runtime() -> None:
    # The runtime's log lines (a lease taken, a retrying runner during a rebuild…) go to
    # stderr and only from warnings up: stdout is for tables and --json. The process's own
    # stderr, which outlives a test runner's temporary capture of `sys.stderr`.
    configure_logging("ishc", json=False, level="WARNING", stream=sys.__stderr__)


# One module per group of sub-commands; streams and bundles add top-level commands.
app.add_typer(streams.app)
app.add_typer(projections.app, name="projections")
app.add_typer(dead_letters.app, name="dlq")
app.add_typer(store.app, name="store")
app.add_typer(events.app, name="events")
app.add_typer(bundles.app)
app.add_typer(subjects.app, name="subjects")


def main() -> None:  # pragma: no cover - the console script
    app(prog_name="ishc")
