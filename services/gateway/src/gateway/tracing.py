"""Traces from HTTP into the services.

FastAPI's native OpenTelemetry (`FastAPI(telemetry=...)`) opens a server span per request,
named by route (`POST /v1/{service}/commands/...`), continuing the client's W3C
`traceparent` or starting a trace, and keeps it current while the request is handled. Requests
to services made meanwhile carry it in the envelope (`ishc_runtime.service.client.traced`),
so the service's command span is its child and the events appended carry the same trace id.

Spans are recorded once a tracer provider is installed (an SDK provider with an exporter;
`FASTAPI_OTEL_AUTO_CONFIGURE=true` plus `OTEL_EXPORTER_OTLP_ENDPOINT` adds an OTLP exporter
when `opentelemetry-exporter-otlp` is installed). Without one the gateway records nothing
but still passes the client's trace context on (`TraceContext`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Probes and scrapes every few seconds: not worth a trace each.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

CORRELATION_ATTRIBUTE = "ishc.correlation_id"


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


def telemetry() -> TelemetryConfig:
    # Logs stay with structlog (redacted, see ishc_runtime.observability.logging).
    return TelemetryConfig(exclude=_untraced, logs=False)


class TraceContext:
    """Per request, around FastAPI's span: when no tracer provider records spans, FastAPI
    reads no `traceparent`, so it is continued here and passed on to the services unchanged
    (a service that records spans still hangs them under the client's). When the span is
    recorded, it is tagged with the correlation id (`X-Correlation-Id`, the commands'
    `correlation_id`), so a trace is found from an event's metadata and back. Installed
    outside `app.Edge`, which sets the id before the response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                correlation = (scope.get("state") or {}).get("correlation_id")
                span = trace.get_current_span()
                if correlation is not None and span.is_recording():
                    span.set_attribute(CORRELATION_ATTRIBUTE, str(correlation))
            await send(message)

        token = None
        if not trace.get_current_span().get_span_context().is_valid:
            token = otel_context.attach(propagate.extract(carrier_of(scope)))
        try:
            await self.app(scope, receive, tagging_send)
        finally:
            if token is not None:
                otel_context.detach(token)


def carrier_of(scope: Scope) -> dict[str, str]:
    """The request's W3C propagation headers, and nothing else from it."""
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope.get("headers") or []
        if name.lower() in (b"traceparent", b"tracestate")
    }
