"""How the gateway reaches services: NATS request/reply behind a small protocol, so unit
tests can put a fake in its place."""

from __future__ import annotations

from typing import Protocol

from nats.aio.client import Client as NatsClient

from ishc_contracts import CommandEnvelope, QueryEnvelope
from ishc_contracts.errors import Reply
from ishc_runtime.privacy.transport import TransportKey
from ishc_runtime.service.client import ask, send_command


class Bus(Protocol):
    @property
    def connected(self) -> bool: ...

    async def command(self, service: str, envelope: CommandEnvelope, timeout: float) -> Reply: ...

    async def query(self, service: str, envelope: QueryEnvelope, timeout: float) -> Reply: ...


class NatsBus:
    """`transport`: commands, queries and replies travel sealed (they carry personal data)."""

    def __init__(self, nc: NatsClient, transport: TransportKey | None = None) -> None:
        self.nc = nc
        self.transport = transport

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    async def command(self, service: str, envelope: CommandEnvelope, timeout: float) -> Reply:
        return await send_command(
            self.nc, service, envelope, timeout=timeout, transport=self.transport
        )

    async def query(self, service: str, envelope: QueryEnvelope, timeout: float) -> Reply:
        return await ask(self.nc, service, envelope, timeout=timeout, transport=self.transport)
