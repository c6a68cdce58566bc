"""Log lines are JSON, carry the command's ids, and never carry sensitive personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from ishc_contracts import Actor, CommandEnvelope, new_id
from ishc_contracts.membership.events import HouseholdPovertyStatusRecorded
from ishc_runtime.observability import (
    REDACTED,
    RedactSensitive,
    bind_command_context,
    command_context,
    command_context_for,
    configure_logging,
    default_sensitive_keys,
    unbind_command_context,
)
from ishc_runtime.observability.logging import ALWAYS_SENSITIVE, catalogue_sensitive_keys

pytestmark = pytest.mark.unit

SECRETARY = Actor(user_id="u-17", role="club_secretary")


@pytest.fixture
def restored() -> Iterator[None]:
    """Whatever a test configures, structlog and the root logger are as before afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        root.handlers[:] = handlers
        root.setLevel(level)


def configured(**options: Any) -> io.StringIO:
    """Logs of service `care` with `options`, written to the returned buffer."""
    buffer = io.StringIO()
    configure_logging("care", stream=buffer, **options)
    return buffer


@pytest.fixture
def output(restored: None) -> io.StringIO:
    """JSON logs with the default sensitive set."""
    return configured()


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line]


def test_a_nested_sensitive_field_is_redacted_at_any_depth(output: io.StringIO) -> None:
    structlog.get_logger("care").info(
        "visit.recorded",
        visit={
            "member": {"name": "Lan", "phone": "0912345678"},
            "checks": [{"blood_pressure": "150/95", "kind": "home"}, ({"glucose": 7.1},)],
        },
        id_number="001190012345",
    )

    [line] = lines(output)
    assert line["visit"] == {
        "member": {"name": "Lan", "phone": REDACTED},
        "checks": [{"blood_pressure": REDACTED, "kind": "home"}, [{"glucose": REDACTED}]],
    }
    assert line["id_number"] == REDACTED
    assert "0912345678" not in output.getvalue()
    assert "150/95" not in output.getvalue()


def test_fields_marked_sensitive_in_the_catalogue_are_redacted_by_default(
    output: io.StringIO,
) -> None:
    from_catalogue = sorted(catalogue_sensitive_keys() - ALWAYS_SENSITIVE)
    assert from_catalogue, "the catalogue marks fields the fixed list does not name"

    structlog.get_logger().info("payload", data=dict.fromkeys(from_catalogue, "secret value"))

    [line] = lines(output)
    assert line["data"] == dict.fromkeys(from_catalogue, REDACTED)


def test_names_birth_dates_disability_and_poverty_are_redacted_by_default(
    output: io.StringIO,
) -> None:
    structlog.get_logger().info(
        "member.screened",
        full_name="Nguyễn Thị Lan",
        birth_date="1941-03-02",
        disability_level="severe",
        poverty_status="poor",
        screening={"ethnic_minority": True, "certificate_no": "KT-0042"},
        status="done",
    )

    [line] = lines(output)
    for key in ("full_name", "birth_date", "disability_level", "poverty_status"):
        assert line[key] == REDACTED
    assert line["screening"] == {"ethnic_minority": REDACTED, "certificate_no": REDACTED}
    assert line["status"] == "done"
    assert "Lan" not in output.getvalue()


def test_a_model_field_is_redacted_by_its_mark_whatever_its_name(output: io.StringIO) -> None:
    # `status` is too common a key to blank everywhere; a poverty status is still hidden.
    event = HouseholdPovertyStatusRecorded(
        household_id=new_id(),
        club_id=new_id(),
        status="near_poor",
        standard="2022-2025",
        valid_from=date(2026, 1, 1),
    )

    structlog.get_logger().info("household.recorded", household=event)

    [line] = lines(output)
    assert line["household"]["status"] == REDACTED
    assert line["household"]["standard"] == "2022-2025"
    assert "near_poor" not in output.getvalue()


def test_correlation_ids_of_the_bound_command_appear_in_the_json(output: io.StringIO) -> None:
    command = CommandEnvelope(
        command_id=new_id(), type="RecordVisit", actor=SECRETARY, causation_id=new_id()
    )

    with command_context_for(command):
        structlog.get_logger().info("visit.recorded", visits=2)
    structlog.get_logger().info("idle")

    inside, after = lines(output)
    assert inside["correlation_id"] == str(command.correlation_id)
    assert inside["causation_id"] == str(command.causation_id)
    assert inside["command_id"] == str(command.command_id)
    assert inside["actor"] == "club_secretary:u-17"
    assert inside["service"] == "care"
    assert inside["level"] == "info"
    assert inside["timestamp"].endswith("Z")
    assert "correlation_id" not in after


def test_a_nested_command_context_restores_the_outer_one_and_inherits_nothing(
    output: io.StringIO,
) -> None:
    outer, inner = new_id(), new_id()
    tokens = bind_command_context(outer, causation_id=new_id(), command_id=new_id())
    with command_context(inner):
        structlog.get_logger().info("inner")
    structlog.get_logger().info("outer")
    unbind_command_context(tokens)

    inner_line, outer_line = lines(output)
    assert inner_line["correlation_id"] == str(inner)
    assert "causation_id" not in inner_line  # not the outer command's cause
    assert outer_line["correlation_id"] == str(outer)
    assert "causation_id" in outer_line


def test_values_inside_text_and_exceptions_are_scrubbed(output: io.StringIO) -> None:
    log = structlog.get_logger()
    try:
        raise ValueError(  # how asyncpg reports a unique violation
            'duplicate key: Key (club_id, phone)=(7, 0912345678) already exists; "cccd": "0011"'
        )
    except ValueError:
        log.exception("member.rejected")
    log.info("raw body phone=0987654321, name=Lan")

    text = output.getvalue()
    assert "0912345678" not in text
    assert "0011" not in text
    assert "0987654321" not in text
    failure, raw = lines(output)
    assert "Key (club_id, phone)=([redacted])" in failure["exception"][0]["exc_value"]
    assert "frames" in failure["exception"][0]
    assert all("locals" not in frame for frame in failure["exception"][0]["frames"])
    assert raw["event"] == "raw body phone=[redacted], name=Lan"


def test_a_pydantic_model_is_logged_as_data_with_its_sensitive_fields_redacted(
    output: io.StringIO,
) -> None:
    command = CommandEnvelope(
        command_id=new_id(),
        type="RegisterMember",
        actor=SECRETARY,
        payload={"name": "Lan", "phone": "0912345678"},
    )

    structlog.get_logger().info("command.received", command=command)

    [line] = lines(output)
    assert line["command"]["payload"] == {"name": "Lan", "phone": REDACTED}
    assert UUID(line["command"]["command_id"]) == command.command_id


def test_the_level_of_a_line_is_not_redacted_though_a_care_field_is_named_level(
    output: io.StringIO,
) -> None:
    assert "level" in default_sensitive_keys()

    structlog.get_logger().warning("need.assessed", need={"level": "high"})

    [line] = lines(output)
    assert line["level"] == "warning"
    assert line["need"] == {"level": REDACTED}


def test_standard_library_logs_go_through_the_same_redaction(output: io.StringIO) -> None:
    logging.getLogger("asyncpg").warning("retrying after phone=%s", "0912345678")

    [line] = lines(output)
    assert line["logger"] == "asyncpg"
    assert line["service"] == "care"
    assert line["event"] == "retrying after phone=[redacted]"


@pytest.mark.usefixtures("restored")
def test_lines_below_the_level_are_dropped() -> None:
    buffer = configured(level="WARNING")

    structlog.get_logger().info("quiet")
    structlog.get_logger().warning("loud")

    assert [line["event"] for line in lines(buffer)] == ["loud"]


@pytest.mark.usefixtures("restored")
def test_an_explicit_sensitive_set_replaces_the_default() -> None:
    buffer = configured(sensitive_keys=frozenset({"pin"}))

    structlog.get_logger().info("x", pin="1234", phone="0912")

    [line] = lines(buffer)
    assert line["pin"] == REDACTED
    assert line["phone"] == "0912"


def test_the_trace_of_the_current_span_is_on_the_line(output: io.StringIO) -> None:
    tracer = TracerProvider().get_tracer("test")  # not installed globally: no leak to others

    with tracer.start_as_current_span("work") as span:
        structlog.get_logger().info("inside")

    [line] = lines(output)
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


@pytest.mark.usefixtures("restored")
def test_console_output_is_redacted_too() -> None:
    buffer = configured(json=False)

    structlog.get_logger().info("visit", glucose=7.4, visits=2)

    text = buffer.getvalue()
    assert "glucose=[redacted]" in text
    assert "visits=2" in text
    assert "7.4" not in text


def test_a_self_referencing_structure_does_not_recurse_forever() -> None:
    loop: dict[str, Any] = {}
    loop["again"] = loop

    cleaned = RedactSensitive({"phone"}).clean(loop)

    depth = 0
    while isinstance(cleaned, dict):
        cleaned, depth = cleaned["again"], depth + 1
    assert cleaned == "[too deep]"
    assert depth > 10


@pytest.mark.usefixtures("restored")
def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("care", level="CHATTY")
