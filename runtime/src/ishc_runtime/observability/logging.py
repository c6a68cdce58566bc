"""Structured JSON logs: one line per event, correlation ids bound per command, no personal data.

Members are vulnerable people (DESIGN §8): a log line must never carry their health data, ID
numbers or phone numbers, whoever wrote the `log.info(...)` call. So redaction is a processor
in the pipeline, not a discipline asked of every caller: any key named like a sensitive field
(every field marked `Sensitive()` in the event catalogue, plus a fixed list) is replaced by
`[redacted]` at any depth, and strings are scrubbed of `key=value` / `"key": value` pairs and
of Postgres' `Key (column)=(value)` details, which is how values leak through exception texts.

Usage, once at start-up::

    configure_logging("finance")
    with command_context_for(command):
        log.info("loan.disbursed", loan_id=...)   # carries correlation_id, command_id, ...
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import Token
from datetime import date, datetime
from typing import Any, TextIO
from uuid import UUID

import structlog
from opentelemetry import trace
from pydantic import BaseModel
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

from ishc_contracts import Actor, CommandEnvelope, sensitive_fields

REDACTED = "[redacted]"

# Sensitive whether or not an event model declares them: names used in commands, queries,
# projections and ad-hoc log calls that the event catalogue cannot know about.
ALWAYS_SENSITIVE: frozenset[str] = frozenset(
    {
        "id_number",
        "phone",
        "national_id",
        "cccd",
        "blood_pressure",
        "glucose",
        "observations",
        "diagnosis",
        # The names these values go by outside the models that mark them.
        "full_name",
        "birth_date",
        "disability_level",
        "poverty_status",
        "ethnicity",
    }
)

# Marked fields whose bare name is too common to blank out in every log line (an HTTP or
# projection `status`): a model's value for them is still redacted through its marks, and
# the qualified names (`poverty_status`) are in ALWAYS_SENSITIVE.
_TOO_GENERIC = frozenset({"status"})

# Keys the pipeline itself adds. A caller's `level=` is overwritten by the log level anyway,
# and the catalogue has a sensitive field called `level` (a care need), which must not blank
# out the level of every line.
_FRAMEWORK_KEYS = frozenset(
    {"event", "level", "timestamp", "logger", "service", "trace_id", "span_id"}
)
# Deeper than any honest log payload; stops a self-referencing structure from recursing forever.
_MAX_DEPTH = 32
_COMMAND_KEYS = ("correlation_id", "causation_id", "command_id", "actor")
_HANDLER_MARK = "_ishc_structlog_handler"


def catalogue_sensitive_keys() -> frozenset[str]:
    """Every field name marked sensitive in any event or command of the catalogue, except
    the few too generic to redact by name alone (`_TOO_GENERIC`)."""
    # Imported here: the catalogue pulls in every service's contracts, which modules that
    # only want metrics or tracing from this package should not pay for.
    from ishc_contracts.catalogue import sensitive_names  # noqa: PLC0415

    return sensitive_names() - _TOO_GENERIC


def default_sensitive_keys() -> frozenset[str]:
    return ALWAYS_SENSITIVE | catalogue_sensitive_keys()


class RedactSensitive:
    """A structlog processor replacing the values of sensitive keys with `[redacted]`.

    Keys match case-insensitively and exactly (`phone`, not `phone_count`): the catalogue
    gives the exact field names, and guessing at variants would blank out operational data.
    Pydantic models are dumped first, with every field their `Sensitive()` marks name
    redacted whatever it is called, so logging a whole event or command is safe too.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(key.lower() for key in keys)
        names = "|".join(re.escape(key) for key in sorted(self.keys, key=len, reverse=True))
        # `phone=0912...`, `"phone": "0912..."`, `'phone': [..]`, `phone: {..}` inside text.
        self._pair = (
            re.compile(
                rf"""(?P<key>(?<![\w-])(?:{names})(?![\w-])["']?\s*[:=]\s*)"""
                r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|\{[^}]*\}|[^\s,;)}\]]+)""",
                re.IGNORECASE,
            )
            if names
            else None
        )

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        return {
            key: (
                REDACTED
                if key.lower() in self.keys and key not in _FRAMEWORK_KEYS
                else self.clean(value)
            )
            for key, value in event_dict.items()
        }

    def clean(self, value: Any, depth: int = 0) -> Any:
        """`value` with every sensitive key below it redacted and its strings scrubbed."""
        if depth > _MAX_DEPTH:
            return "[too deep]"
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, BaseModel):
            marked = sensitive_fields(type(value))
            value = {
                key: REDACTED if key in marked and item is not None else item
                for key, item in value.model_dump(mode="json").items()
            }
        if isinstance(value, Mapping):
            return {
                key: REDACTED if str(key).lower() in self.keys else self.clean(item, depth + 1)
                for key, item in value.items()
            }
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.clean(item, depth + 1) for item in value]
        return value

    def scrub(self, text: str) -> str:
        """Blank the values that follow sensitive names inside free text."""
        if self._pair is None:
            return text
        text = self._pair.sub(lambda m: m.group("key") + REDACTED, text)
        return _PG_KEY_DETAIL.sub(self._pg_detail, text)

    def _pg_detail(self, match: re.Match[str]) -> str:
        columns = {c.strip().strip('"').lower() for c in match.group("columns").split(",")}
        if columns & self.keys:
            return f"Key ({match.group('columns')})=({REDACTED})"
        return match.group(0)


# asyncpg's UniqueViolation and ForeignKeyViolation details: `Key (phone)=(0912345678) already
# exists.` The value part is taken greedily to the end of the line: over-redacting a detail
# costs nothing, leaking half a value does.
_PG_KEY_DETAIL = re.compile(r"Key \((?P<columns>[^()]*)\)=\((?P<values>.*)\)")


def add_service(service: str) -> Processor:
    def processor(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def add_trace_ids(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """The current OpenTelemetry trace and span ids, so a log line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def _json_default(value: Any) -> Any:
    if isinstance(value, (UUID, datetime, date)):
        return value.isoformat() if isinstance(value, (datetime, date)) else str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return repr(value)


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.upper())
    if number is None:
        msg = f"unknown log level {level!r}"
        raise ValueError(msg)
    return number


def configure_logging(
    service: str,
    *,
    json: bool = True,
    level: str = "INFO",
    sensitive_keys: frozenset[str] | None = None,
    stream: TextIO | None = None,
) -> RedactSensitive:
    """Configure structlog (and route the standard `logging` module through the same chain).

    `sensitive_keys` replaces the default set (the catalogue's sensitive fields plus
    `ALWAYS_SENSITIVE`); pass `default_sensitive_keys() | {...}` to extend it instead.
    `stream` defaults to standard output, read when called (so test capture sees it).
    Returns the redaction processor, for code that must scrub text it writes elsewhere.
    """
    threshold = _level_number(level)
    redact = RedactSensitive(default_sensitive_keys() if sensitive_keys is None else sensitive_keys)
    output = stream or sys.stdout
    # Tracebacks become data before redaction so exception texts are scrubbed too; locals
    # are never rendered, since a frame's locals are exactly where payloads live.
    exceptions: Processor = (
        structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        if json
        else structlog.processors.format_exc_info
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_service(service),
        add_trace_ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        exceptions,
        redact,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=_json_default)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[structlog.processors.add_log_level, *shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.WriteLoggerFactory(file=output),
        # Not cached: modules bind `structlog.get_logger()` at import, before start-up calls
        # this, and a cached logger would keep whatever configuration it first saw.
        cache_logger_on_first_use=False,
    )
    _route_standard_logging(output, threshold, shared, renderer)
    return redact


def _route_standard_logging(
    output: TextIO, threshold: int, shared: list[Processor], renderer: Processor
) -> None:
    """Libraries (asyncpg, nats, uvicorn) log through `logging`: same format, same redaction."""
    handler = logging.StreamHandler(output)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.stdlib.ExtraAdder(),
                *shared,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    # Replace only a handler an earlier call installed: test runners add their own.
    for existing in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(threshold)


def _actor_text(actor: Actor | str | None) -> str | None:
    if actor is None or isinstance(actor, str):
        return actor
    return f"{actor.role}:{actor.user_id}"


def bind_command_context(
    correlation_id: UUID | str | None,
    causation_id: UUID | str | None = None,
    command_id: UUID | str | None = None,
    actor: Actor | str | None = None,
) -> Mapping[str, Token[Any]]:
    """Bind the ids of the command being handled to every log line of this task.

    Returns tokens for `unbind_command_context`. A missing value is bound as structlog's
    "unset" marker rather than skipped, so a nested command never inherits its caller's id.
    """
    values = (correlation_id, causation_id, command_id, _actor_text(actor))
    return structlog.contextvars.bind_contextvars(
        **{
            key: ... if value is None else str(value)
            for key, value in zip(_COMMAND_KEYS, values, strict=True)
        }
    )


def unbind_command_context(tokens: Mapping[str, Token[Any]]) -> None:
    """Restore what was bound before `bind_command_context` (an outer command's ids)."""
    structlog.contextvars.reset_contextvars(**tokens)


@contextmanager
def command_context(
    correlation_id: UUID | str | None,
    causation_id: UUID | str | None = None,
    command_id: UUID | str | None = None,
    actor: Actor | str | None = None,
) -> Iterator[None]:
    """`bind_command_context` for the block, restored on the way out (even on error)."""
    tokens = bind_command_context(correlation_id, causation_id, command_id, actor)
    try:
        yield
    finally:
        unbind_command_context(tokens)


def command_context_for(command: CommandEnvelope) -> AbstractContextManager[None]:
    """`command_context` with the ids a command envelope carries."""
    return command_context(
        command.correlation_id, command.causation_id, command.command_id, command.actor
    )
