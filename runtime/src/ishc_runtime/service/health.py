"""A service's own tiny HTTP endpoint: /healthz (alive), /readyz (can serve), /metrics.

Plain asyncio, no web framework: a service has no other HTTP surface (the gateway is the
only API), and probes must keep answering when everything else is busy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
# What else /readyz says (which instance, the roles it leads): JSON-serialisable.
Description = Callable[[], Mapping[str, object]]
_REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        readiness: ReadinessCheck,
        describe: Description | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.readiness = readiness
        self.describe = describe
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            path = request.decode("latin-1").split(" ")[1] if request.count(b" ") >= 2 else ""
            status, content_type, body = await self._answer(path)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/healthz":
            return 200, "application/json", b'{"status":"ok"}'
        if path == "/readyz":
            try:
                checks = await asyncio.wait_for(self.readiness(), timeout=3)
            except TimeoutError:
                checks = {"responding": False}
            ready = all(checks.values())
            answer: dict[str, object] = {
                "status": "ready" if ready else "not-ready",
                "checks": checks,
                **(self.describe() if self.describe else {}),
            }
            body = json.dumps(answer)
            return (200 if ready else 503), "application/json", body.encode()
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, generate_latest()
        return 404, "text/plain", b"not found"
