"""Recording OpenTelemetry spans in tests, and reading trace ids out of them.

OpenTelemetry lets a process install its tracer provider once, so every test module that
records spans adds an in-memory exporter to the same SDK provider; tests then look only at
spans of their own traces, so spans of other tests in the same process do not confuse them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@contextmanager
def recording_spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "another tracer provider is installed globally"
    memory = InMemorySpanExporter()
    processor = SimpleSpanProcessor(memory)
    provider.add_span_processor(processor)
    try:
        yield memory
    finally:
        # The provider cannot drop a processor; a shut-down exporter just stores nothing more.
        processor.shutdown()


def hex_trace(span: ReadableSpan | trace.Span) -> str:
    context = span.get_span_context()
    assert context is not None
    return format(context.trace_id, "032x")


def hex_span(span: ReadableSpan | trace.Span) -> str:
    context = span.get_span_context()
    assert context is not None
    return format(context.span_id, "016x")


def parent_of(span: ReadableSpan) -> str | None:
    return None if span.parent is None else format(span.parent.span_id, "016x")


def parse_traceparent(value: str) -> tuple[str, str, str]:
    """`00-<trace id>-<parent span id>-<flags>` → (trace id, parent span id, flags)."""
    version, trace_id, parent_id, flags = value.split("-")
    assert version == "00"
    return trace_id, parent_id, flags
