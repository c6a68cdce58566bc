"""A service started as in production exports its spans to the collector the operator names
(OTLP/HTTP), continuing the caller's trace."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from nats.aio.client import Client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_runtime.service import send_command
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SERVE_SAMPLE = """
import asyncio, sys
from ishc_runtime.service import ServiceSettings, serve
from ishc_runtime.testing.sample_service import sample_service
settings = ServiceSettings(database_url=sys.argv[2], nats_url=sys.argv[3], log_json=False)
asyncio.run(serve(sample_service(sys.argv[1]), settings))
"""


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: keeps every export request it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.exports: list[tuple[str, ExportTraceServiceRequest]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def spans(self) -> list[tuple[str, str, str]]:
        """(service.name, span name, trace id) of everything received."""
        found = []
        for _, export in self.exports:
            for resource_spans in export.resource_spans:
                attributes = {
                    a.key: a.value.string_value for a in resource_spans.resource.attributes
                }
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        found.append((attributes["service.name"], span.name, span.trace_id.hex()))
        return found


class _Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.exports.append((self.path, ExportTraceServiceRequest.FromString(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


async def test_a_served_service_exports_its_command_spans_in_the_callers_trace(
    collector: Collector,
    database_dsn: str,
    infrastructure: Infrastructure,
    nats_client: Client,
    stream_suffix: str,
    tmp_path: Path,
) -> None:
    name = f"sample{stream_suffix}"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url, "PATH": "/usr/bin:/bin"}
    log = (tmp_path / "service.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-c", SERVE_SAMPLE, name, database_dsn, infrastructure.nats_url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        opened = CommandEnvelope(
            command_id=new_id(),
            type="OpenAccount",
            actor=SYSTEM_ACTOR,
            payload={"account_id": str(new_id()), "owner": "Lan"},
            trace_context={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )

        async def accepted() -> bool:
            reply = await send_command(nats_client, name, opened, timeout=2)
            return reply.ok

        await wait_until(accepted, timeout=30, interval=0.2, message="the service never answered")
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(process.wait(), 30)
        log.close()

    assert exit_code == 0, (tmp_path / "service.log").read_text()
    # The provider flushes its last batch as the process exits: nothing left to wait for.
    assert {path for path, _ in collector.exports} == {"/v1/traces"}
    assert ("ishc-" + name, "dispatch.command", TRACE_ID) in collector.spans()
