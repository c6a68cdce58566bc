"""A founding scenario driven over NATS like the gateway will: a club in Phú Lợi (Bình Dương
before 1 Jul 2025, Hồ Chí Minh City after), 60 members, a board, a meeting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from nats.aio.client import Client

from ishc_contracts import Actor, CommandEnvelope, QueryEnvelope, new_id
from ishc_contracts.errors import Reply
from ishc_runtime.service import ask, send_command

SERVICE = "membership"
SECRETARY = Actor(user_id="secretary-1", role="club_secretary")
FOUNDED = date(2025, 9, 1)
MEETING_DAY = date(2025, 10, 21)


@dataclass
class Club:
    club_id: UUID = field(default_factory=new_id)
    members: list[tuple[UUID, UUID]] = field(default_factory=list)  # (member_id, person_id)
    meeting_id: UUID = field(default_factory=new_id)
    decision_id: UUID = field(default_factory=new_id)
    commands: list[CommandEnvelope] = field(default_factory=list)
    last: dict[str, int] = field(default_factory=dict)  # stream -> version after our command


async def run(nc: Client, club: Club, kind: str, /, **payload: Any) -> Reply:
    env = CommandEnvelope(
        command_id=new_id(), type=kind, actor=SECRETARY, club_id=club.club_id,
        payload={k: str(v) if isinstance(v, UUID | date) else v for k, v in payload.items()},
    )  # fmt: skip
    reply = await send_command(nc, SERVICE, env)
    if reply.ok and reply.result is not None:
        club.commands.append(env)
        club.last.update(reply.result["streams"])
    return reply


async def query(nc: Client, kind: str, /, stream: str | None = None,
                min_version: int | None = None, **params: Any) -> dict[str, Any]:  # fmt: skip
    env = QueryEnvelope(
        type=kind, actor=SECRETARY, stream_id=stream, min_version=min_version,
        params={k: str(v) if isinstance(v, UUID | date) else v for k, v in params.items()},
    )  # fmt: skip
    reply = await ask(nc, SERVICE, env)
    assert reply.ok and reply.result is not None, reply.problem
    return reply.result


def person(n: int) -> dict[str, Any]:
    """40 women and 20 men; 42 born 1940-1960 (older), 18 born 1975-1992."""
    older = n % 10 < 7
    return {
        "full_name": f"Thành viên {n:02d}",
        "sex": "female" if n % 3 != 2 else "male",
        "birth_date": date(1940 + n % 20, 1 + n % 12, 1) if older else date(1975 + n % 18, 6, 1),
        "womens_union_member": n % 3 != 2 and n % 2 == 0,
        "ethnic_minority": n % 7 == 0,
    }


async def found(nc: Client, club: Club, size: int = 60) -> None:
    ok = await run(
        nc, club, "EstablishClub", club_id=club.club_id, name="CLB Liên thế hệ Phú Lợi",
        legacy_address="Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương",
        founded_on=FOUNDED, activity_areas=["livelihoods", "home_care"],
    )  # fmt: skip
    assert ok.ok, ok.problem
    charter = await run(nc, club, "AdoptCharter", club_id=club.club_id, charter_version=1,
                        adopted_on=FOUNDED, meeting_day_of_month=21)  # fmt: skip
    assert charter.ok, charter.problem
    for n in range(size):
        member_id, person_id = new_id(), new_id()
        reply = await run(
            nc, club, "AdmitMember", member_id=member_id, club_id=club.club_id,
            person_id=person_id, joined_on=FOUNDED, household_id=UUID(int=n + 1), **person(n),
        )  # fmt: skip
        assert reply.ok, reply.problem
        club.members.append((member_id, person_id))


async def govern(nc: Client, club: Club) -> None:
    m = [member for member, _ in club.members]
    seats = [
        {"member_id": str(m[0]), "role": "chair"},
        {"member_id": str(m[1]), "role": "vice_chair"},
        {"member_id": str(m[2]), "role": "bookkeeper"},
        {"member_id": str(m[3]), "role": "treasurer"},
        {"member_id": str(m[4]), "role": "subgroup_leader"},
    ]
    board = await run(nc, club, "ElectBoard", club_id=club.club_id, board_term_id=new_id(),
                      term_starts_on=FOUNDED, seats=seats)  # fmt: skip
    assert board.ok, board.problem
    poor = await run(nc, club, "RecordPovertyCertificate", household_id=UUID(int=1),
                     club_id=club.club_id, status="poor", standard="2022-2025",
                     valid_from=date(2025, 1, 1), valid_to=date(2026, 12, 31))  # fmt: skip
    assert poor.ok, poor.problem
    volunteer = await run(nc, club, "RegisterVolunteer", volunteer_id=new_id(),
                          club_id=club.club_id, person_id=club.members[5][1], member_id=m[5],
                          full_name="Thành viên 05", registered_on=FOUNDED,
                          skills=["massage"], confidentiality_signed=True)  # fmt: skip
    assert volunteer.ok, volunteer.problem
    held = await run(nc, club, "HoldMeeting", meeting_id=club.meeting_id, club_id=club.club_id,
                     held_on=MEETING_DAY, present=[str(x) for x in m[:45]],
                     excused=[str(x) for x in m[45:50]])  # fmt: skip
    assert held.ok, held.problem
    decision = await run(nc, club, "RecordDecision", meeting_id=club.meeting_id,
                         decision_id=club.decision_id, kind="loan_approval",
                         summary="5m VND for a breeding pig", member_id=m[6],
                         amount=5_000_000, votes_for=40)  # fmt: skip
    assert decision.ok, decision.problem
