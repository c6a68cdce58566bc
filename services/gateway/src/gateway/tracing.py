"""Traces from HTTP into the services.

FastAPI's native OpenTelemetry (`FastAPI(telemetry=...)`) opens a server span per request,
named by route (`POST /v1/{service}/commands/...`), continuing the client's W3C
`traceparent` or starting a trace, and keeps it current while the request is handled. Requests
to services made meanwhile carry it in the envelope (`ishc_runtime.service.client.traced`),
so the service's command span is its child and the events appended carry the same trace id.

Spans are recorded once a tracer provider is installed (an SDK provider with an exporter;
`FASTAPI_OTEL_AUTO_CONFIGURE=true` plus `OTEL_EXPORTER_OTLP_ENDPOINT` adds an OTLP exporter
when `opentelemetry-exporter-otlp` is installed); without one, nothing is recorded and the
trace context still flows.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Probes and scrapes every few seconds: not worth a trace each.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

CORRELATION_ATTRIBUTE = "ishc.correlation_id"


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


def telemetry() -> TelemetryConfig:
    # Logs stay with structlog (redacted, see ishc_runtime.observability.logging).
    return TelemetryConfig(exclude=_untraced, logs=False)


class CorrelatedSpans:
    """Tags the request's span with the correlation id (`X-Correlation-Id`, the commands'
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

        await self.app(scope, receive, tagging_send)
