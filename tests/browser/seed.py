"""Demo data for the browser tests: `make run`'s own seed (two clubs, thirty members each)
plus, through the gateway's HTTP API like any client, what the club page shows: volunteers,
a fund, a loan in arrears, a care case with two visits a week, and an elder screened
eligible for the social pension (the outreach worklist)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from nats.aio.client import Client as NatsClient

from gateway.auth import DEMO_CLUB_A
from ishc_contracts import new_id
from ishc_runtime.clock import VN_TZ
from ishc_runtime.testing.waiting import wait_until

from ..e2e.harness import System

TODAY = datetime.now(VN_TZ).date()
PROPAGATION_SECONDS = 30.0
DEMO = Path(__file__).resolve().parents[2] / "deploy" / "local" / "demo.py"


@dataclass
class Seeded:
    elder_name: str
    borrower_name: str
    recipient_name: str
    recipient_case: UUID
    phone_recipient_name: str
    loan_id: UUID
    # A member whose consents nobody has recorded yet: the consent journey's, alone.
    unconsented_name: str
    unconsented_member: UUID


async def demo_seed(nc: NatsClient) -> int:
    """`deploy/local/demo.py`'s seed, loaded from its file (deploy/local is not a package)."""
    spec = importlib.util.spec_from_file_location("ishc_demo_seed", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    appended: int = await module.seed(nc, members_per_club=6)
    return appended


async def _retry(
    system: System, bearer: str, service: str, name: str, body: dict[str, Any]
) -> None:
    """A command that needs another service's events: the same key until it is accepted."""
    key = new_id()
    last: list[httpx.Response] = []

    async def accepted() -> bool:
        response = await system.command(bearer, service, name, body, key=key, expect=None)
        last[:] = [response]
        assert response.status_code in (200, 201, 404), f"{name}: {response.text}"
        return response.status_code in (200, 201)

    await wait_until(
        accepted,
        timeout=PROPAGATION_SECONDS,
        interval=0.2,
        message=f"{service}/{name} never accepted: {last[0].text if last else ''}",
    )


def _member(full_name: str, sex: str, birth: date) -> dict[str, Any]:
    return {
        "member_id": str(new_id()),
        "person_id": str(new_id()),
        "club_id": str(DEMO_CLUB_A),
        "full_name": full_name,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "joined_on": (TODAY - timedelta(days=120)).isoformat(),
    }


async def seed_club_a(system: System) -> Seeded:
    admin = await system.token(user="admin")
    secretary = await system.token(user="secretary-a")
    board = await system.token(user="board-a")
    elder = _member("Phạm Văn Thọ", "male", date(1938, 1, 1))
    borrower = _member("Trần Thị Vay", "female", date(1972, 4, 1))
    recipient = _member("Lê Thị Cụ", "female", date(1936, 6, 1))
    phone_recipient = _member("Hoàng Thị Bà", "female", date(1934, 8, 1))
    helpers = [
        _member("Đỗ Thị Giúp", "female", date(1990, 2, 1)),
        _member("Ngô Văn Đỡ", "male", date(1985, 3, 1)),
    ]
    # Under 60: the health page's coverage of older members is not changed by them.
    unconsented = _member("Vũ Thị Chưa", "female", date(1975, 5, 1))
    for body in (elder, borrower, recipient, phone_recipient, *helpers, unconsented):
        await system.command(secretary, "membership", "admit-member", body)
    # Health checks and visits with vitals need the person's consent (care checks it).
    for person in (elder, recipient, phone_recipient):
        await system.command(
            secretary,
            "membership",
            "record-consent",
            {
                "consent_id": str(new_id()),
                "person_id": person["person_id"],
                "club_id": str(DEMO_CLUB_A),
                "purpose": "health_data",
                "given_on": (TODAY - timedelta(days=120)).isoformat(),
                "method": "written",
            },
        )
    volunteer_ids = []
    for helper in helpers:
        volunteer_id = new_id()
        volunteer_ids.append(str(volunteer_id))
        await system.command(
            secretary,
            "membership",
            "register-volunteer",
            {
                "volunteer_id": str(volunteer_id),
                "club_id": str(DEMO_CLUB_A),
                "person_id": helper["person_id"],
                "member_id": helper["member_id"],
                "full_name": helper["full_name"],
                "registered_on": TODAY.isoformat(),
                "confidentiality_signed": True,
            },
        )

    # A loan disbursed two months ago with nothing repaid: in arrears once assessed.
    long_ago = TODAY - timedelta(days=70)
    loan_id, meeting_id, decision_id = new_id(), new_id(), new_id()
    await system.command(
        board,
        "finance",
        "capitalise-fund",
        {
            "club_id": str(DEMO_CLUB_A),
            "fund_type": "income_generation",
            "amount": 30_000_000,
            "source": "project",
            "received_on": (long_ago - timedelta(days=5)).isoformat(),
        },
    )
    await system.command(
        secretary,
        "membership",
        "hold-meeting",
        {
            "meeting_id": str(meeting_id),
            "club_id": str(DEMO_CLUB_A),
            "held_on": long_ago.isoformat(),
            "present": [elder["member_id"], borrower["member_id"], recipient["member_id"]],
        },
    )
    await system.command(
        secretary,
        "membership",
        "record-decision",
        {
            "meeting_id": str(meeting_id),
            "decision_id": str(decision_id),
            "kind": "loan_approval",
            "summary": "Cho vay nuôi gà",
            "member_id": borrower["member_id"],
            "subject_id": str(loan_id),
            "amount": 6_000_000,
            "votes_for": 3,
        },
    )
    await _retry(
        system,
        secretary,
        "finance",
        "submit-loan-application",
        {
            "loan_id": str(loan_id),
            "club_id": str(DEMO_CLUB_A),
            "member_id": borrower["member_id"],
            "principal": 6_000_000,
            "purpose": "livestock",
            "applied_on": long_ago.isoformat(),
        },
    )
    await _retry(
        system,
        board,
        "finance",
        "approve-loan",
        {
            "loan_id": str(loan_id),
            "decision_id": str(decision_id),
            "approved_on": long_ago.isoformat(),
        },
    )
    await system.command(
        board,
        "finance",
        "disburse-loan",
        {"loan_id": str(loan_id), "disbursed_on": long_ago.isoformat()},
    )
    await system.command(
        admin,
        "finance",
        "assess-arrears",
        {"loan_id": str(loan_id), "as_of": TODAY.isoformat()},
        expect=None,
    )

    # Care cases: referral, assessment, two visits a week, both volunteers. One for the club
    # page's form, one for the volunteer's phone (two visits on one day by the same team
    # count as one: care merges them).
    cases = [
        await open_case(system, secretary, person, volunteer_ids)
        for person in (recipient, phone_recipient)
    ]

    # The elder draws no pension: screened eligible, on the outreach worklist.
    await system.command(
        secretary,
        "advocacy",
        "record-benefit-facts",
        {
            "person_id": elder["person_id"],
            "club_id": str(DEMO_CLUB_A),
            "recorded_on": TODAY.isoformat(),
            "monthly_pension": 0,
            "has_supporter": False,
        },
    )
    await _retry(
        system,
        secretary,
        "advocacy",
        "screen-eligibility",
        {
            "screening_id": str(new_id()),
            "person_id": elder["person_id"],
            "scheme": "social_pension",
            "as_of": TODAY.isoformat(),
        },
    )

    async def on_worklist() -> bool:
        answer = await system.query(
            secretary, "advocacy", "unclaimed-worklist", club_id=DEMO_CLUB_A
        )
        people = answer.json()["data"]["people"] if answer.status_code == 200 else []
        return any(p["person_id"] == elder["person_id"] for p in people)

    await wait_until(on_worklist, timeout=PROPAGATION_SECONDS, interval=0.2, message="worklist")

    officer = await system.token(user="officer-hanoi")

    async def reporting_counts_club_a() -> bool:
        for level in ("province", "commune"):
            answer = await system.http.get(
                "/v1/reports/indicators",
                params={"period": TODAY.strftime("%Y-%m"), "level": level},
                headers={"Authorization": f"Bearer {officer}"},
            )
            units = answer.json()["data"]["units"] if answer.status_code == 200 else []
            if not any((u["indicators"].get("older_members") or 0) > 0 for u in units):
                return False
        return True

    await wait_until(
        reporting_counts_club_a,
        timeout=PROPAGATION_SECONDS * 4,
        interval=0.5,
        message="reporting never counted club A at province and commune level",
    )
    return Seeded(
        elder_name=elder["full_name"],
        borrower_name=borrower["full_name"],
        recipient_name=recipient["full_name"],
        recipient_case=cases[0],
        phone_recipient_name=phone_recipient["full_name"],
        loan_id=loan_id,
        unconsented_name=unconsented["full_name"],
        unconsented_member=UUID(unconsented["member_id"]),
    )


async def open_case(
    system: System, secretary: str, person: dict[str, Any], volunteer_ids: list[str]
) -> UUID:
    case_id = new_id()
    await system.command(
        secretary,
        "care",
        "refer-for-care",
        {
            "case_id": str(case_id),
            "club_id": str(DEMO_CLUB_A),
            "person_id": person["person_id"],
            "member_id": person["member_id"],
            "full_name": person["full_name"],
            "referred_on": TODAY.isoformat(),
            "referred_by": "club_board",
            "reasons": ["lives_alone"],
        },
    )
    monday = TODAY - timedelta(days=TODAY.weekday())
    for name, body in (
        ("assess-needs", {"assessed_on": TODAY.isoformat(), "assessed_by": "club_board"}),
        (
            "open-care-plan",
            {"plan_id": str(new_id()), "visits_per_week": 2, "starts_on": monday.isoformat()},
        ),
        ("assign-volunteers", {"volunteer_ids": volunteer_ids, "assigned_on": TODAY.isoformat()}),
    ):
        await system.command(secretary, "care", name, {"case_id": str(case_id), **body})

    return case_id
