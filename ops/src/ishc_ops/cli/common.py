"""What every `ishc` command shares: argument types, output, confirmation and running async work."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import asyncpg
import typer
from nats.errors import Error as NatsError
from rich.console import Console
from rich.table import Table

from ishc_ops.targets import (
    DECLINED,
    FAILED,
    OpsError,
)
from ishc_runtime.clock import VN_TZ

T = TypeVar("T")

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
