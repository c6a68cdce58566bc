"""Demo data for `make run`: two clubs with members, sent as ordinary commands over NATS.

Command ids are derived from names, so seeding again (every `make run`) appends nothing new.
Club A is in Ha Noi (the demo provincial officer's province), club B in the former Binh Duong
province, so both admin maps show up in reports.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient

from gateway.auth import DEMO_CLUB_A, DEMO_CLUB_B
from ishc_contracts import Actor, CommandEnvelope
from ishc_runtime.clock import VN_TZ
from ishc_runtime.privacy.transport import TransportKey
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


async def seed(
    nc: NatsClient, members_per_club: int = 30, *, transport: TransportKey | None = None
) -> int:
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
            reply = await send_command(nc, "membership", command, transport=transport)
            if not reply.ok:
                problem = reply.problem
                msg = f"demo seed: {command.type} refused: {problem}"
                raise RuntimeError(msg)
            appended += 0 if (reply.result or {}).get("duplicate") else 1
    appended += await club_year(nc, DEMO_CLUB_A, transport)
    return appended


# How long a step that needs another service's fact (a member, a meeting decision, a
# volunteer) may be refused while that service's projection catches up.
CATCH_UP_SECONDS = 60


async def _until_accepted(
    nc: NatsClient, service: str, command: CommandEnvelope, transport: TransportKey | None
) -> int:
    """Send until accepted: a refusal for a fact another service has not yet projected is
    retried (bounded); the same command id makes every retry and every later run harmless."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        reply = await send_command(nc, service, command, transport=transport)
        if reply.ok:
            return 0 if (reply.result or {}).get("duplicate") else 1
        if time.monotonic() > deadline:
            msg = f"demo seed: {command.type} refused: {reply.problem}"
            raise RuntimeError(msg)
        await asyncio.sleep(0.25)  # a runner waiting for projections, not a test


async def club_year(nc: NatsClient, club_id: UUID, transport: TransportKey | None = None) -> int:
    """What fills every role's page in club A: a meeting with its attendance and the loan
    decision, the fund's capital, a loan in arrears, volunteers, a care case visited this
    week and an open entitlement claim. Dates are relative to today (Viet Nam)."""
    today = datetime.now(VN_TZ).date()
    member = [str(_id("member", f"{club_id}/{n}")) for n in range(6)]
    person = [str(_id("person", f"{club_id}/{n}")) for n in range(6)]
    loan, meeting, decision = (
        _id("loan", club_id),
        _id("meeting", club_id),
        _id("decision", club_id),
    )
    volunteers = [str(_id("volunteer", club_id, n)) for n in (1, 2)]
    case = _id("case", club_id)
    monday = today - timedelta(days=today.weekday())
    steps: list[tuple[str, str, dict[str, Any]]] = [
        # The consent forms a club collects when people join: health follow-up for all six,
        # sharing with the commune for the one whose claim the club files.
        *(
            (
                "membership",
                "RecordConsent",
                {
                    "consent_id": str(_id("consent", club_id, n, purpose)),
                    "person_id": person[n],
                    "club_id": str(club_id),
                    "purpose": purpose,
                    "given_on": (today - timedelta(days=120)).isoformat(),
                    "method": "written",
                },
            )
            for n, purpose in [*((n, "health_data") for n in range(6)), (4, "share_with_commune")]
        ),
        (
            "membership",
            "HoldMeeting",
            {
                "meeting_id": str(meeting),
                "club_id": str(club_id),
                "held_on": (today - timedelta(days=98)).isoformat(),
                "present": member[:5],
            },
        ),
        (
            "membership",
            "RecordDecision",
            {
                "meeting_id": str(meeting),
                "decision_id": str(decision),
                "kind": "loan_approval",
                "summary": "Cho vay nuôi lợn",
                "member_id": member[0],
                "subject_id": str(loan),
                "amount": 5_000_000,
                "votes_for": 5,
            },
        ),
        (
            "finance",
            "CapitaliseFund",
            {
                "club_id": str(club_id),
                "fund_type": "income_generation",
                "amount": 25_000_000,
                "source": "project",
                "received_on": (today - timedelta(days=101)).isoformat(),
            },
        ),
        (
            "finance",
            "SubmitLoanApplication",
            {
                "loan_id": str(loan),
                "club_id": str(club_id),
                "member_id": member[0],
                "principal": 5_000_000,
                "term_months": 10,
                "purpose": "livestock",
                "applied_on": (today - timedelta(days=100)).isoformat(),
            },
        ),
        (
            "finance",
            "ApproveLoan",
            {
                "loan_id": str(loan),
                "decision_id": str(decision),
                "approved_on": (today - timedelta(days=97)).isoformat(),
            },
        ),
        (
            "finance",
            "DisburseLoan",
            {"loan_id": str(loan), "disbursed_on": (today - timedelta(days=95)).isoformat()},
        ),
        *(
            (
                "membership",
                "RegisterVolunteer",
                {
                    "volunteer_id": volunteers[i],
                    "club_id": str(club_id),
                    "person_id": person[n],
                    "member_id": member[n],
                    "full_name": f"Tình nguyện viên {n}",
                    "registered_on": (today - timedelta(days=30)).isoformat(),
                    "confidentiality_signed": True,
                },
            )
            for i, n in enumerate((1, 2))
        ),
        (
            "care",
            "ReferForCare",
            {
                "case_id": str(case),
                "club_id": str(club_id),
                "person_id": person[3],
                "member_id": member[3],
                "full_name": "Người được chăm sóc",
                "referred_on": (today - timedelta(days=14)).isoformat(),
                "referred_by": "club_board",
            },
        ),
        (
            "care",
            "AssessNeeds",
            {
                "case_id": str(case),
                "assessed_on": (today - timedelta(days=13)).isoformat(),
                "assessed_by": "club_board",
            },
        ),
        (
            "care",
            "OpenCarePlan",
            {
                "case_id": str(case),
                "plan_id": str(_id("plan", club_id)),
                "visits_per_week": 2,
                "starts_on": (monday - timedelta(days=7)).isoformat(),
            },
        ),
        (
            "care",
            "AssignVolunteers",
            {
                "case_id": str(case),
                "volunteer_ids": volunteers,
                "assigned_on": (today - timedelta(days=12)).isoformat(),
            },
        ),
        (
            "advocacy",
            "OpenEntitlementCase",
            {
                "case_id": str(_id("claim", club_id)),
                "person_id": person[4],
                "club_id": str(club_id),
                "scheme": "health_insurance",
                "opened_on": (today - timedelta(days=20)).isoformat(),
                "trigger": "member_request",
            },
        ),
    ]
    appended = 0
    for service, kind, payload in steps:
        key = f"{club_id}/{kind}/{payload.get('volunteer_id') or payload.get('consent_id', '')}"
        appended += await _until_accepted(
            nc, service, _command(kind, club_id, key, payload), transport
        )
    return appended
