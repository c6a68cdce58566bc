"""`tracing.span` where no tracer provider is installed (the default outside deployments that
export spans): it records nothing and passes the caller's trace context on unchanged, as the
API's no-op tracer did. Run in a fresh interpreter: a provider, once installed by another
test in this process, cannot be removed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

PROBE = """
import json, sys
from opentelemetry import trace
from ishc_runtime.observability import tracing

carrier = {"traceparent": sys.argv[1]}
seen = {"recording_before": tracing.recording()}
with tracing.continued_from(carrier):
    with tracing.span("outer", attribute="x") as outer:
        with tracing.span("inner"):
            seen["inside"] = tracing.inject()
        seen["outer_records"] = outer.is_recording()
    try:
        with tracing.span("failing"):
            raise KeyError("propagates")
    except KeyError:
        seen["raised"] = True
seen["after"] = tracing.inject()
if len(sys.argv) > 2:
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())
    seen["recording_with_provider"] = tracing.recording()
    with tracing.continued_from(carrier), tracing.span("recorded") as recorded:
        seen["recorded"] = recorded.is_recording()
        seen["inside_recorded"] = tracing.inject()
print(json.dumps(seen))
"""


def probe(*extra: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, TRACEPARENT, *extra],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_without_a_provider_spans_pass_the_callers_context_on_and_record_nothing() -> None:
    seen = probe()

    assert seen["recording_before"] is False
    assert seen["inside"] == {"traceparent": TRACEPARENT}
    assert seen["outer_records"] is False
    assert seen["raised"] is True
    assert seen["after"] == {}


def test_once_a_provider_is_installed_spans_are_recorded_as_children() -> None:
    seen = probe("install")

    assert seen["recording_with_provider"] is True
    assert seen["recorded"] is True
    inside = seen["inside_recorded"]
    assert isinstance(inside, dict)
    _version, trace_id, span_id, _flags = inside["traceparent"].split("-")
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span_id != "00f067aa0ba902b7"  # a span of its own, under the caller's
