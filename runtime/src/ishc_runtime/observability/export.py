"""Where spans go: over OTLP/HTTP to a collector when the operator names one, else nowhere.

The endpoint, headers, timeout and sampling come from the OpenTelemetry SDK's standard
variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`, ...), so any collector's usual
instructions apply unchanged. Without an endpoint the API's no-op provider stays: spans cost
next to nothing and nothing tries to connect anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def configure_tracing(
    component: str, environ: Mapping[str, str] = os.environ
) -> TracerProvider | None:
    """Export this process's spans as `ishc-<component>` when an OTLP endpoint is set.

    Call once at start-up, before the first span. The provider flushes its last batch when
    the process exits."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if not any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES):
        return None
    resource = Resource.create(
        {
            "service.name": environ.get("OTEL_SERVICE_NAME") or f"ishc-{component}",
            "service.namespace": "ishc",
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
