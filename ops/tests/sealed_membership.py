"""The membership service with field encryption (master keys) and transport sealing, for the
`ishc` commands about personal data, with a national admin's way to send it commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest_asyncio
from nats.aio.client import Client

from ishc_contracts import Actor, CommandEnvelope, new_id
from ishc_runtime.privacy import LocalMasterKeys, TransportKey, new_key
from ishc_runtime.service import Service
from ishc_runtime.service.client import send_command
from ishc_runtime.testing.infrastructure import Infrastructure
from membership.definition import definition
from membership.settings import Settings

ADMIN = Actor(user_id="admin", role="national_admin")


@dataclass(frozen=True)
class SealedMembership:
    service: Service
    master: LocalMasterKeys
    transport: TransportKey

    async def command(self, nc: Client, kind: str, payload: dict[str, object]) -> dict[str, Any]:
        envelope = CommandEnvelope(command_id=new_id(), type=kind, actor=ADMIN, payload=payload)
        reply = await send_command(nc, "membership", envelope, transport=self.transport)
        assert reply.ok, reply.problem
        assert reply.result is not None
        return reply.result

    async def club(self, nc: Client, name: str) -> UUID:
        """A club established now, in Hà Nội (Hoàn Kiếm)."""
        club_id = new_id()
        await self.command(
            nc,
            "EstablishClub",
            {
                "club_id": str(club_id),
                "name": name,
                "admin_unit": "01:00070",
                "founded_on": "2024-03-21",
            },
        )
        return club_id

    async def admit(
        self, nc: Client, club_id: UUID, full_name: str, **profile: object
    ) -> tuple[UUID, UUID]:
        """A member admitted to `club_id` (sex, birth date, phone… in `profile`): its member
        and person ids. The person's stream is `member-<person id>`."""
        member_id, person_id = new_id(), new_id()
        await self.command(
            nc,
            "AdmitMember",
            {
                "member_id": str(member_id),
                "person_id": str(person_id),
                "club_id": str(club_id),
                "full_name": full_name,
                "joined_on": "2026-01-05",
                **profile,
            },
        )
        return member_id, person_id


@pytest_asyncio.fixture(loop_scope="session")
async def membership(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None
) -> AsyncIterator[SealedMembership]:
    master, transport = LocalMasterKeys("k1", {"k1": new_key()}), TransportKey.generate()
    settings = Settings(
        database_url=database_dsn,
        nats_url=infrastructure.nats_url,
        master_keys=master.to_json(),
        transport_key=transport.to_text(),
    )
    async with Service(definition(), settings) as running:
        yield SealedMembership(running, master, transport)
