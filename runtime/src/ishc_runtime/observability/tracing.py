"""OpenTelemetry spans, and trace context carried in NATS headers across services."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.util.types import AttributeValue

_tracer = trace.get_tracer("ishc_runtime")


def recording() -> bool:
    """Whether spans can be recorded: a tracer provider is installed (`export.py`, tests)."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


@contextmanager
def span(
    name: str, *, links: Sequence[trace.Link] = (), **attributes: AttributeValue
) -> Iterator[trace.Span]:
    if not recording():
        # The API's no-op tracer would only make the current span current again (attach,
        # detach, end), a dozen times per command across a service: the trace context the
        # events carry is the current one either way.
        yield trace.get_current_span()
        return
    with _tracer.start_as_current_span(name, attributes=attributes, links=links) as current:
        yield current


def link_to(carrier: Mapping[str, str] | None) -> trace.Link | None:
    """A link to the span that produced `carrier`: for work done on behalf of many traces at
    once (one relay batch publishes events of many commands)."""
    if not carrier:
        return None
    context = trace.get_current_span(propagate.extract(dict(carrier))).get_span_context()
    return trace.Link(context) if context.is_valid else None


def inject() -> dict[str, str]:
    """The current trace context as headers (`traceparent`, `tracestate`)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def continued_from(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Run the block as a child of the trace that produced `carrier`."""
    if not carrier:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(carrier)))
    try:
        yield
    finally:
        otel_context.detach(token)
