"""A lean HTTP/1.1 keep-alive client for the load generator.

Why not httpx: on this machine httpx's AsyncClient costs 1.6 ms of client CPU per request
with one connection and 2.9 ms with 32 busy ones (measured against a bare FastAPI
`/healthz`), so a generator built on it saturates a core at a few hundred requests/s and
measures itself rather than the server; and when an open loop builds a backlog, its pool
scans every queued request on each release. This client writes a request and reads
`Content-Length` (or chunked) answers on a pool of persistent connections, nothing more:
enough for our servers (uvicorn), which speak plain HTTP/1.1 on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class ConnectionLost(Exception):
    """The server closed or broke the connection before a whole answer arrived."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    async def exchange(self, request: bytes) -> tuple[Answer, bool]:
        """(the answer, whether the connection may be reused)."""
        self.writer.write(request)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            raise ConnectionLost(str(error)) from error
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        try:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = await self._chunked()
            else:
                body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except asyncio.IncompleteReadError as error:
            raise ConnectionLost(str(error)) from error
        return Answer(status, headers, body), headers.get("connection") != "close"

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from our servers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


# uvicorn closes a keep-alive connection after 5 s idle; a request written into one it is
# closing would fail for nothing, so connections idle for longer than this are not reused.
MAX_IDLE_SECONDS = 3.0


class HttpPool:
    """At most `size` persistent connections to one server; requests beyond that wait (FIFO)
    for a free connection, and that wait counts in their latency."""

    def __init__(self, base_url: str, size: int) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []
        self._host_header = f"Host: {self.host}:{self.port}\r\n"

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        target = f"{path}?{urlencode(params)}" if params else path
        lines = [f"{method} {target} HTTP/1.1\r\n", self._host_header]
        body = b""
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            lines.append("Content-Type: application/json\r\n")
        lines.append(f"Content-Length: {len(body)}\r\n")
        lines += [f"{name}: {value}\r\n" for name, value in (headers or {}).items()]
        request = ("".join(lines) + "\r\n").encode("latin-1") + body
        async with self._slots:
            connection = await self._acquire()
            try:
                answer, reusable = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            if reusable:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return answer

    async def _acquire(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if time.monotonic() - connection.idle_since < MAX_IDLE_SECONDS:
                return connection
            connection.close()
        return await self._open()

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    async def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            connection.close()
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()
