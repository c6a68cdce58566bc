"""Demo data for `make run`: two clubs with members, sent as ordinary commands over NATS.

Command ids are derived from names, so seeding again (every `make run`) appends nothing new.
Club A is in Ha Noi (the demo provincial officer's province), club B in the former Binh Duong
province, so both admin maps show up in reports.
"""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient

from gateway.auth import DEMO_CLUB_A, DEMO_CLUB_B
from ishc_contracts import Actor, CommandEnvelope
from ishc_runtime.service import send_command

_NS = uuid.UUID("3d6b1b1c-5a0e-4c8e-9a43-6f1f0d8a2e55")
SECRETARY = Actor(user_id="demo-seed", role="club_secretary")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN_F = ("Thị Lan", "Thị Hoa", "Thị Mai", "Thị Hương", "Thị Thu", "Ngọc Anh")
GIVEN_M = ("Văn Nam", "Văn Hùng", "Đức Minh", "Quang Huy", "Văn Bình")

CLUBS: tuple[dict[str, Any], ...] = (
    {
        "club_id": DEMO_CLUB_A,
        "name": "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm",
        "admin_unit": "01:00070",
        "founded_on": date(2024, 3, 21),
        "meeting_day_of_month": 21,
    },
    {
        "club_id": DEMO_CLUB_B,
        "name": "CLB Liên thế hệ tự giúp nhau Phú Lợi",
        "legacy_address": "Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương",
        "founded_on": date(2023, 9, 17),
        "meeting_day_of_month": 17,
    },
)


def _id(*parts: object) -> UUID:
    return uuid.uuid5(_NS, "/".join(str(p) for p in parts))


def _command(kind: str, club_id: UUID, key: str, payload: dict[str, Any]) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=_id(kind, key), type=kind, actor=SECRETARY, club_id=club_id, payload=payload
    )


async def seed(nc: NatsClient, members_per_club: int = 30) -> int:
    """Send the demo commands; return how many appended something new."""
    appended = 0
    rng = random.Random(2026)  # noqa: S311 - demo names, not secrets
    for club in CLUBS:
        club_id = club["club_id"]
        commands = [
            _command(
                "EstablishClub",
                club_id,
                str(club_id),
                {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in club.items()},
            )
        ]
        for n in range(members_per_club):
            woman = rng.random() < 0.65
            given = rng.choice(GIVEN_F if woman else GIVEN_M)
            key = f"{club_id}/{n}"
            commands.append(
                _command(
                    "AdmitMember",
                    club_id,
                    key,
                    {
                        "member_id": str(_id("member", key)),
                        "person_id": str(_id("person", key)),
                        "club_id": str(club_id),
                        "full_name": f"{rng.choice(FAMILY)} {given}",
                        "sex": "female" if woman else "male",
                        "birth_date": date(
                            rng.randint(1935, 1995), rng.randint(1, 12), 1
                        ).isoformat(),
                        "joined_on": club["founded_on"].isoformat(),
                    },
                )
            )
        for command in commands:
            reply = await send_command(nc, "membership", command)
            if not reply.ok:
                problem = reply.problem
                msg = f"demo seed: {command.type} refused: {problem}"
                raise RuntimeError(msg)
            appended += 0 if (reply.result or {}).get("duplicate") else 1
    return appended
