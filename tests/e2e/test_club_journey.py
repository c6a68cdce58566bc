"""A club's life through the gateway only: membership, finance, care, advocacy, scoping, sync.

The four real services and the gateway run once for the module (``system`` in conftest).
``world`` sets up two clubs through HTTP; each test then works on its own objects, so the
tests do not depend on each other's order. Cross-service effects (finance and advocacy
reading membership's events over JetStream) are waited for on conditions, never sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from gateway.auth import DEMO_CLUB_A, DEMO_CLUB_B
from ishc_contracts import new_id
from ishc_runtime.clock import VN_TZ
from ishc_runtime.testing.waiting import wait_until

from .harness import System

pytestmark = pytest.mark.e2e

TODAY = datetime.now(VN_TZ).date()
PROPAGATION_SECONDS = 20.0


@dataclass
class Member:
    member_id: UUID
    person_id: UUID
    full_name: str


@dataclass
class World:
    admin: str
    secretary_a: str
    board_a: str
    volunteer_a: str
    secretary_b: str
    officer_hanoi: str
    officer_elsewhere: str
    operator: str
    members: list[Member]
    elder: Member  # aged 86: eligible for the social pension
    volunteer_ids: tuple[UUID, UUID]


def admit_body(club_id: UUID, full_name: str, sex: str, birth: date) -> dict[str, Any]:
    return {
        "member_id": str(new_id()),
        "person_id": str(new_id()),
        "club_id": str(club_id),
        "full_name": full_name,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "joined_on": (TODAY - timedelta(days=30)).isoformat(),
    }


def problem_type(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    kind: str = response.json()["type"]
    return kind.rsplit("/", 1)[-1]


def written_token(response: httpx.Response, prefix: str) -> str:
    """The consistency token of the stream named ``prefix...`` that the command wrote.

    Not simply ``consistency``: for commands that load another stream first (AdmitMember
    loads the club), the runtime lists the unwritten stream too, at its old version, and the
    gateway's token names it (``club-...@1``), which a read is trivially caught up with.
    """
    streams: dict[str, int] = response.json()["streams"]
    (stream_id,) = [s for s in streams if s.startswith(prefix)]
    return f"{stream_id}@{streams[stream_id]}"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(system: System) -> World:
    admin = await system.token(user="admin")
    secretary_a = await system.token(user="secretary-a")
    # Founding a club is a national act: a secretary may not (gateway policy).
    refused = await system.command(
        secretary_a,
        "membership",
        "establish-club",
        {
            "club_id": str(DEMO_CLUB_A),
            "name": "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm",
            "admin_unit": "01:00070",
            "founded_on": "2024-03-21",
        },
        expect=403,
    )
    assert problem_type(refused) == "forbidden"
    for club_id, name, unit in (
        (DEMO_CLUB_A, "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm", {"admin_unit": "01:00070"}),
        (
            DEMO_CLUB_B,
            "CLB Liên thế hệ tự giúp nhau Phú Lợi",
            {"legacy_address": "Phường Phú Lợi, Thành phố Thủ Dầu Một, Tỉnh Bình Dương"},
        ),
    ):
        await system.command(
            admin,
            "membership",
            "establish-club",
            {
                "club_id": str(club_id),
                "name": name,
                "founded_on": "2024-03-21",
                "meeting_day_of_month": 21,
                **unit,
            },
        )

    members: list[Member] = []
    for full_name, sex, birth in (
        ("Nguyễn Thị Lan", "female", date(1958, 5, 1)),
        ("Trần Văn Nam", "male", date(1970, 2, 1)),
        ("Lê Thị Hoa", "female", date(1990, 7, 1)),
        ("Phạm Văn Hùng", "male", date(1940, 1, 1)),
    ):
        body = admit_body(DEMO_CLUB_A, full_name, sex, birth)
        await system.command(secretary_a, "membership", "admit-member", body)
        members.append(Member(UUID(body["member_id"]), UUID(body["person_id"]), full_name))

    volunteer_ids = (new_id(), new_id())
    for volunteer_id, member in zip(volunteer_ids, members[:2], strict=True):
        await system.command(
            secretary_a,
            "membership",
            "register-volunteer",
            {
                "volunteer_id": str(volunteer_id),
                "club_id": str(DEMO_CLUB_A),
                "person_id": str(member.person_id),
                "member_id": str(member.member_id),
                "full_name": member.full_name,
                "registered_on": TODAY.isoformat(),
                "confidentiality_signed": True,
            },
        )
    return World(
        admin=admin,
        secretary_a=secretary_a,
        board_a=await system.token(user="board-a"),
        volunteer_a=await system.token(user="volunteer-a"),
        secretary_b=await system.token(user="secretary-b"),
        officer_hanoi=await system.token(user="officer-hanoi"),
        officer_elsewhere=await system.token(
            sub="officer-danang", role="provincial_officer", province_codes=["48"]
        ),
        operator=await system.token(user="operator"),
        members=members,
        elder=members[3],
        volunteer_ids=(volunteer_ids[0], volunteer_ids[1]),
    )


async def test_a_secretary_admits_members_and_reads_the_roster_with_the_consistency_token(
    system: System, world: World
) -> None:
    body = admit_body(DEMO_CLUB_A, "Bùi Ngọc Anh", "female", date(1985, 3, 1))
    admitted = await system.command(world.secretary_a, "membership", "admit-member", body)
    assert admitted.headers["ISHC-Consistency"] == admitted.json()["consistency"]
    # The token for the stream the command wrote (the person's); see written_token.
    token = written_token(admitted, "member-")
    assert token == f"member-{body['person_id']}@1"

    again = await system.command(
        world.secretary_a,
        "membership",
        "admit-member",
        body,
        key=UUID(admitted.json()["command_id"]),
        expect=200,
    )
    assert again.json()["duplicate"] is True

    roster = await system.query(
        world.secretary_a,
        "membership",
        "club-roster",
        club_id=DEMO_CLUB_A,
        consistency=token,
    )
    assert roster.status_code == 200, roster.text
    assert roster.json()["stale"] is False
    assert roster.headers["ISHC-Stale"] == "false"
    names = {m["full_name"] for m in roster.json()["data"]["members"]}
    assert {m.full_name for m in world.members} | {"Bùi Ngọc Anh"} <= names


async def retry_until_known(
    system: System, bearer: str, service: str, name: str, body: dict[str, Any]
) -> httpx.Response:
    """Send a command that depends on another service's events until that service has them.

    Refusals append nothing and record no idempotency result, so the same key is retried.
    Anything but 201 or the "not (yet) known" refusal fails at once.
    """
    key = new_id()
    sent: list[httpx.Response] = []

    async def accepted() -> bool:
        response = await system.command(bearer, service, name, body, key=key, expect=None)
        sent.append(response)
        if response.status_code == 201:
            return True
        assert response.status_code == 404, f"{service}/{name}: {response.text}"
        assert problem_type(response) == "not-found", response.text
        return False

    await wait_until(
        accepted,
        timeout=PROPAGATION_SECONDS,
        interval=0.1,
        message=f"{service}/{name} never saw what it needs: {sent[-1].text if sent else ''}",
    )
    return sent[-1]


async def test_finance_lends_to_a_member_on_a_meeting_decision(
    system: System, world: World
) -> None:
    borrower = world.members[0]
    loan_id, meeting_id, decision_id = new_id(), new_id(), new_id()
    await system.command(
        world.board_a,
        "finance",
        "capitalise-fund",
        {
            "club_id": str(DEMO_CLUB_A),
            "fund_type": "income_generation",
            "amount": 20_000_000,
            "source": "project",
            "received_on": TODAY.isoformat(),
        },
    )
    await system.command(
        world.secretary_a,
        "membership",
        "hold-meeting",
        {
            "meeting_id": str(meeting_id),
            "club_id": str(DEMO_CLUB_A),
            "held_on": TODAY.isoformat(),
            "present": [str(m.member_id) for m in world.members],
        },
    )
    await system.command(
        world.secretary_a,
        "membership",
        "record-decision",
        {
            "meeting_id": str(meeting_id),
            "decision_id": str(decision_id),
            "kind": "loan_approval",
            "summary": "Cho vay nuôi bò",
            "member_id": str(borrower.member_id),
            "subject_id": str(loan_id),
            "amount": 6_000_000,
            "votes_for": 4,
        },
    )

    # Finance knows the member only from membership's MemberJoined over JetStream.
    applied = await retry_until_known(
        system,
        world.secretary_a,
        "finance",
        "submit-loan-application",
        {
            "loan_id": str(loan_id),
            "club_id": str(DEMO_CLUB_A),
            "member_id": str(borrower.member_id),
            "principal": 6_000_000,
            "purpose": "livestock",
            "applied_on": TODAY.isoformat(),
        },
    )
    assert f"loan-{loan_id}" in applied.json()["streams"]
    # ... and the decision from MeetingDecisionRecorded.
    await retry_until_known(
        system,
        world.board_a,
        "finance",
        "approve-loan",
        {
            "loan_id": str(loan_id),
            "decision_id": str(decision_id),
            "approved_on": TODAY.isoformat(),
        },
    )
    await system.command(
        world.board_a,
        "finance",
        "disburse-loan",
        {"loan_id": str(loan_id), "disbursed_on": TODAY.isoformat()},
    )
    repaid = await system.command(
        world.board_a,
        "finance",
        "post-repayment",
        {
            "loan_id": str(loan_id),
            "repayment_id": str(new_id()),
            "received_on": TODAY.isoformat(),
            "amount": 530_000,
        },
    )
    token = written_token(repaid, "loan-")

    loan = await system.query(
        world.secretary_a, "finance", "get-loan", loan_id=loan_id, consistency=token
    )
    assert loan.status_code == 200, loan.text
    assert loan.json()["stale"] is False
    data = loan.json()["data"]
    assert data["member_id"] == str(borrower.member_id)
    assert data["status"] == "active"
    assert data["disbursed_on"] == TODAY.isoformat()
    # Flat 0.5 %/month over 12 months: the first installment is 500,000 + 30,000 interest.
    assert (data["principal"], data["principal_paid"], data["interest_paid"]) == (
        6_000_000,
        500_000,
        30_000,
    )
    assert data["outstanding_principal"] == 5_500_000
    assert data["version"] == int(token.rsplit("@", 1)[1])


async def open_care_case(system: System, world: World, person: Member) -> UUID:
    """Referral, assessment, a plan of two visits a week from today, both volunteers."""
    case_id = new_id()
    await system.command(
        world.secretary_a,
        "care",
        "refer-for-care",
        {
            "case_id": str(case_id),
            "club_id": str(DEMO_CLUB_A),
            "person_id": str(person.person_id),
            "member_id": str(person.member_id),
            "full_name": person.full_name,
            "referred_on": TODAY.isoformat(),
            "referred_by": "club_board",
            "reasons": ["lives_alone"],
        },
    )
    for name, body in (
        ("assess-needs", {"assessed_on": TODAY.isoformat(), "assessed_by": "club_board"}),
        (
            "open-care-plan",
            {"plan_id": str(new_id()), "visits_per_week": 2, "starts_on": TODAY.isoformat()},
        ),
        (
            "assign-volunteers",
            {
                "volunteer_ids": [str(v) for v in world.volunteer_ids],
                "assigned_on": TODAY.isoformat(),
            },
        ),
    ):
        await system.command(
            world.secretary_a,
            "care",
            name,
            {"case_id": str(case_id), **body},
        )
    return case_id


def visit_body(case_id: UUID, volunteer_id: UUID, **extra: Any) -> dict[str, Any]:
    return {
        "visit_id": str(new_id()),
        "case_id": str(case_id),
        "volunteer_ids": [str(volunteer_id)],
        "visited_on": TODAY.isoformat(),
        "duration_minutes": 45,
        "tasks_done": ["bathing"],
        **extra,
    }


async def test_a_volunteer_records_a_visit_and_the_week_board_shows_it(
    system: System, world: World
) -> None:
    recipient = world.members[3]
    case_id = await open_care_case(system, world, recipient)

    visited = await system.command(
        world.volunteer_a, "care", "record-visit", visit_body(case_id, world.volunteer_ids[0])
    )
    token = written_token(visited, "case-")

    # The board is read first: the consistency token alone makes it wait for the visit.
    board = await system.query(
        world.volunteer_a, "care", "week-board", club_id=DEMO_CLUB_A, consistency=token
    )
    assert board.status_code == 200, board.text
    assert board.json()["stale"] is False
    (row,) = [r for r in board.json()["data"]["recipients"] if r["case_id"] == str(case_id)]
    assert (row["full_name"], row["done"], row["visits_per_week"]) == (recipient.full_name, 1, 2)
    assert row["slots"][0] == "done"
    assert len(row["slots"]) == 2

    detail = await system.query(
        world.volunteer_a, "care", "case-detail", case_id=case_id, consistency=token
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["stale"] is False
    case = detail.json()["data"]
    assert case["status"] == "active"
    assert [(v["status"], v["visited_on"]) for v in case["visits"]] == [("done", TODAY.isoformat())]


async def test_advocacy_opens_and_submits_a_claim_for_an_eligible_member(
    system: System, world: World
) -> None:
    elder = world.elder
    # Age alone leaves the social pension "unknown" until the club records that the member
    # draws no pension; then the member is screened again.
    await system.command(
        world.secretary_a,
        "advocacy",
        "record-benefit-facts",
        {
            "person_id": str(elder.person_id),
            "club_id": str(DEMO_CLUB_A),
            "recorded_on": TODAY.isoformat(),
            "monthly_pension": 0,
            "has_supporter": False,
        },
    )
    await retry_until_known(
        system,
        world.secretary_a,
        "advocacy",
        "screen-eligibility",
        {
            "screening_id": str(new_id()),
            "person_id": str(elder.person_id),
            "scheme": "social_pension",
            "as_of": TODAY.isoformat(),
        },
    )
    found: list[dict[str, Any]] = []

    async def screened_eligible() -> bool:
        worklist = await system.query(
            world.secretary_a, "advocacy", "unclaimed-worklist", club_id=DEMO_CLUB_A
        )
        assert worklist.status_code == 200, worklist.text
        found[:] = [
            p
            for p in worklist.json()["data"]["people"]
            if p["person_id"] == str(elder.person_id) and p["scheme"] == "social_pension"
        ]
        return bool(found)

    # EligibilityScreened → advocacy_screenings projection → the outreach worklist.
    await wait_until(
        screened_eligible,
        timeout=PROPAGATION_SECONDS,
        interval=0.1,
        message="the 86-year-old member never showed up as eligible for the social pension",
    )
    (screening,) = found
    assert screening["expected_monthly_amount"] == 500_000

    case_id = new_id()
    await system.command(
        world.secretary_a,
        "advocacy",
        "open-entitlement-case",
        {
            "case_id": str(case_id),
            "person_id": str(elder.person_id),
            "club_id": str(DEMO_CLUB_A),
            "scheme": "social_pension",
            "opened_on": TODAY.isoformat(),
            "trigger": "screening",
            "screening_id": screening["screening_id"],
        },
    )
    await system.command(
        world.secretary_a,
        "advocacy",
        "mark-documents-ready",
        {"case_id": str(case_id), "ready_on": TODAY.isoformat(), "documents": ["cccd"]},
    )
    submission = {"case_id": str(case_id), "submitted_on": TODAY.isoformat(), "office": "ubnd-xa"}
    # Handing the file to the commune needs the elder's consent to share, which advocacy
    # learns from membership's events: refused (naming it) until then.
    refused = await system.command(
        world.secretary_a, "advocacy", "record-submission", submission, expect=409
    )
    assert refused.json()["type"].endswith("consent-required"), refused.text
    assert "share_with_commune" in refused.json()["detail"]
    await system.command(
        world.secretary_a,
        "membership",
        "record-consent",
        {
            "consent_id": str(new_id()),
            "person_id": str(elder.person_id),
            "club_id": str(DEMO_CLUB_A),
            "purpose": "share_with_commune",
            "given_on": TODAY.isoformat(),
            "method": "written",
        },
    )
    key = new_id()
    answers: list[httpx.Response] = []

    async def submitted_once() -> bool:
        answer = await system.command(
            world.secretary_a, "advocacy", "record-submission", submission, key=key, expect=None
        )
        answers.append(answer)
        return answer.status_code == 201

    await wait_until(
        submitted_once, timeout=PROPAGATION_SECONDS, interval=0.1, message="never submitted"
    )
    submitted = answers[-1]
    token = written_token(submitted, "case-")

    claims = await system.query(
        world.secretary_a, "advocacy", "open-claims", club_id=DEMO_CLUB_A, consistency=token
    )
    assert claims.status_code == 200, claims.text
    assert claims.json()["stale"] is False
    (claim,) = [c for c in claims.json()["data"]["claims"] if c["case_id"] == str(case_id)]
    assert claim["person_id"] == str(elder.person_id)
    assert (claim["scheme"], claim["stage"], claim["submitted_on"]) == (
        "social_pension",
        "submitted",
        TODAY.isoformat(),
    )
    assert claim["decision_due_on"] > TODAY.isoformat()
    assert claim["overdue"] is False
    assert claims.json()["data"]["by_stage"]["submitted"] >= 1

    # An open claim takes the member off the outreach worklist for that scheme.
    assert not await screened_eligible()


async def test_other_clubs_provinces_and_the_operator_see_nothing_of_the_club(
    system: System, world: World
) -> None:
    params: dict[str, Any]
    person = world.members[0]
    case_id = await open_care_case(system, world, world.members[1])

    # The club-B secretary may not act on club A ...
    for service, name, body in (
        (
            "membership",
            "admit-member",
            admit_body(DEMO_CLUB_A, "Vũ Văn Bình", "male", date(1960, 1, 1)),
        ),
        ("care", "record-visit", visit_body(case_id, world.volunteer_ids[0])),
    ):
        refused = await system.http.post(
            f"/v1/{service}/commands/{name}",
            params={"club_id": str(DEMO_CLUB_A)} if "club_id" not in body else None,
            json=body,
            headers={
                "Authorization": f"Bearer {world.secretary_b}",
                "Idempotency-Key": str(new_id()),
            },
        )
        assert refused.status_code == 404, f"{name}: {refused.text}"
        assert problem_type(refused) == "not-found"
    # Without a club named, the gateway scopes the command to the caller's own club and the
    # service checks the object against it: another club's member is an unknown one.
    exit_ = await system.command(
        world.secretary_b,
        "membership",
        "record-member-exit",
        {
            "member_id": str(person.member_id),
            "person_id": str(person.person_id),
            "left_on": TODAY.isoformat(),
            "reason": "moved",
        },
        expect=404,
    )
    assert problem_type(exit_) == "not-found"
    # The same holds in every service: the command path checks the object's own club, so
    # leaving the club out of a body cannot reach another club's case (OWASP API1).
    visit = await system.command(
        world.secretary_b,
        "care",
        "record-visit",
        visit_body(case_id, world.volunteer_ids[0]),
        expect=404,
    )
    assert problem_type(visit) == "not-found"
    # ... nor read its lists or its objects: they do not exist for them.
    for service, name, params in (
        ("membership", "club-roster", {"club_id": DEMO_CLUB_A}),
        ("membership", "person-profile", {"person_id": person.person_id}),
        ("care", "case-detail", {"case_id": case_id}),
        ("care", "week-board", {"club_id": DEMO_CLUB_A}),
        ("membership", "club-composition", {"club_id": DEMO_CLUB_A}),
    ):
        hidden = await system.query(world.secretary_b, service, name, **params)
        assert hidden.status_code == 404, f"{name}: {hidden.text}"
        assert person.full_name not in hidden.text

    # A provincial officer of Ha Noi reads club A's aggregates (once the gateway's club
    # directory has followed ClubEstablished); one of another province sees nothing.
    async def hanoi_sees_the_composition() -> bool:
        answer = await system.query(
            world.officer_hanoi, "membership", "club-composition", club_id=DEMO_CLUB_A
        )
        return answer.status_code == 200

    await wait_until(hanoi_sees_the_composition, timeout=PROPAGATION_SECONDS, interval=0.1)
    # Roles first (lists are not theirs to read), then scope (aggregates of another
    # province's club do not exist for them).
    for name, status in (("club-roster", 403), ("club-composition", 404)):
        elsewhere = await system.query(
            world.officer_elsewhere, "membership", name, club_id=DEMO_CLUB_A
        )
        assert elsewhere.status_code == status, f"{name}: {elsewhere.text}"
        assert person.full_name not in elsewhere.text
    for service, name, params in (
        ("care", "club-compliance", {"club_id": DEMO_CLUB_A}),
        ("finance", "portfolio-indicators", {"club_id": DEMO_CLUB_A, "as_of": TODAY}),
        ("advocacy", "households-helped", {"club_id": DEMO_CLUB_A}),
    ):
        elsewhere = await system.query(world.officer_elsewhere, service, name, **params)
        assert elsewhere.status_code == 404, f"{name}: {elsewhere.text}"

    # The operator: no lists and no objects; aggregates carry no personal data.
    personal = [m.full_name for m in world.members] + [str(m.person_id) for m in world.members]
    for service, name, params in (
        ("membership", "club-roster", {"club_id": DEMO_CLUB_A}),
        ("membership", "person-profile", {"person_id": person.person_id}),
        ("care", "case-detail", {"case_id": case_id}),
        ("care", "week-board", {"club_id": DEMO_CLUB_A}),
        ("finance", "loan-book", {"club_id": DEMO_CLUB_A}),
        ("advocacy", "unclaimed-worklist", {"club_id": DEMO_CLUB_A}),
        ("care", "checkup-coverage", {"club_id": DEMO_CLUB_A, "year": TODAY.year}),
    ):
        refused = await system.query(world.operator, service, name, **params)
        assert refused.status_code == 403, f"{name}: {refused.text}"
        assert problem_type(refused) == "forbidden"
    week = TODAY.isocalendar()
    for service, name, params in (
        ("membership", "club-composition", {"club_id": DEMO_CLUB_A}),
        ("care", "club-compliance", {"club_id": DEMO_CLUB_A}),
        (
            "care",
            "home-care-report",
            {"club_id": DEMO_CLUB_A, "iso_year": week[0], "iso_week": week[1]},
        ),
        ("finance", "portfolio-indicators", {"club_id": DEMO_CLUB_A, "as_of": TODAY}),
        ("advocacy", "households-helped", {"club_id": DEMO_CLUB_A}),
    ):
        answer = await system.query(world.operator, service, name, **params)
        assert answer.status_code == 200, f"{name}: {answer.text}"
        leaked = [value for value in personal if value in answer.text]
        assert not leaked, f"{name} shows the operator {leaked}"


def sync_item(key: UUID, service: str, command: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "idempotency_key": str(key),
        "service": service,
        "command": command,
        "payload": payload,
        "device_time": datetime.now(VN_TZ).replace(microsecond=0).isoformat(),
    }


async def sync(system: System, bearer: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sent = await system.http.post(
        "/v1/sync", json={"commands": batch}, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert sent.status_code == 200, sent.text
    results: list[dict[str, Any]] = sent.json()["results"]
    assert [r["idempotency_key"] for r in results] == [c["idempotency_key"] for c in batch]
    return results


async def test_an_offline_batch_is_accepted_once_and_harmless_to_send_again(
    system: System, world: World
) -> None:
    admitted = admit_body(DEMO_CLUB_A, "Đặng Thị Thu", "female", date(1962, 9, 1))
    unborn = admit_body(DEMO_CLUB_A, "Hoàng Văn Nam", "male", TODAY + timedelta(days=400))
    first = sync_item(new_id(), "membership", "admit-member", admitted)
    batch = [
        first,
        first,  # the device queued the same admission twice
        sync_item(new_id(), "membership", "admit-member", unborn),  # a birth date to come
    ]

    results = await sync(system, world.secretary_a, batch)
    assert [r["status"] for r in results] == ["accepted", "duplicate", "rejected"], results
    accepted = results[0]["result"]
    assert accepted["duplicate"] is False
    assert len(accepted["event_ids"]) == 1
    assert results[1]["result"]["event_ids"] == accepted["event_ids"]
    problem = results[2]["problem"]
    # Birth dates are bounded in the contract (1900 to today): refused before any rule runs.
    assert problem["type"].endswith("/validation"), problem
    assert [e["field"] for e in problem["errors"]] == ["birth_date"]

    again = await sync(system, world.secretary_a, batch)
    assert [r["status"] for r in again] == ["duplicate", "duplicate", "rejected"], again
    assert again[0]["result"]["event_ids"] == accepted["event_ids"]
    assert again[0]["result"]["streams"] == accepted["streams"]

    person_stream = f"member-{admitted['person_id']}"
    token = f"{person_stream}@{accepted['streams'][person_stream]}"
    roster = await system.query(
        world.secretary_a, "membership", "club-roster", club_id=DEMO_CLUB_A, consistency=token
    )
    assert roster.status_code == 200, roster.text
    assert roster.json()["stale"] is False
    names = [m["full_name"] for m in roster.json()["data"]["members"]]
    assert names.count("Đặng Thị Thu") == 1
    assert "Hoàng Văn Nam" not in names


async def test_a_volunteers_offline_visits_are_appended_once(system: System, world: World) -> None:
    case_id = await open_care_case(system, world, world.members[2])
    first = sync_item(new_id(), "care", "record-visit", visit_body(case_id, world.volunteer_ids[0]))
    typo = visit_body(
        case_id, world.volunteer_ids[1], blood_pressure={"systolic": 400, "diastolic": 80}
    )
    batch = [first, first, sync_item(new_id(), "care", "record-visit", typo)]

    results = await sync(system, world.volunteer_a, batch)
    assert results[0]["status"] == "accepted"
    token = results[0]["result"]["consistency"]
    # The repeat appends nothing and answers with the first result.
    assert results[1]["status"] == "duplicate"
    assert results[1]["result"]["event_ids"] == results[0]["result"]["event_ids"]
    assert results[2]["status"] == "rejected"
    assert [e["field"] for e in results[2]["problem"]["errors"]] == ["blood_pressure.systolic"]

    again = await sync(system, world.volunteer_a, batch)
    assert [r["status"] for r in again[:2]] == ["duplicate", "duplicate"]
    assert again[0]["result"]["event_ids"] == results[0]["result"]["event_ids"]
    assert again[2]["status"] == "rejected"

    detail = await system.query(
        world.volunteer_a, "care", "case-detail", case_id=case_id, consistency=token
    )
    assert detail.status_code == 200, detail.text
    case = detail.json()["data"]
    assert [v["visit_id"] for v in case["visits"]] == [first["payload"]["visit_id"]]
    assert case["version"] == int(token.rsplit("@", 1)[1])


async def test_an_idempotency_key_answers_only_its_own_request(
    system: System, world: World
) -> None:
    """A key is scoped to (caller, command type, body): reused by another club's secretary,
    for another command or with another body, it is refused, never answered with the first
    command's result; the same caller's honest retry stays a duplicate (issue #18)."""
    admitted = admit_body(DEMO_CLUB_A, "Ngô Thị Mai", "female", date(1966, 4, 1))
    first = await system.command(world.secretary_a, "membership", "admit-member", admitted)
    key = UUID(first.json()["command_id"])

    meeting_b = {
        "meeting_id": str(new_id()),
        "club_id": str(DEMO_CLUB_B),
        "held_on": TODAY.isoformat(),
    }
    meeting_a = {**meeting_b, "club_id": str(DEMO_CLUB_A)}
    for bearer, name, body in (
        (world.secretary_b, "hold-meeting", meeting_b),  # another caller, another command
        (world.secretary_a, "hold-meeting", meeting_a),  # the same caller, another command
        (world.secretary_a, "admit-member", {**admitted, "full_name": "Ngô Thị Mơ"}),  # body
    ):
        reused = await system.command(bearer, "membership", name, body, key=key, expect=422)
        assert problem_type(reused) == "idempotency-key-reused", reused.text
        assert first.json()["event_ids"][0] not in reused.text
        assert [e["field"] for e in reused.json()["errors"]] == ["Idempotency-Key"]

    # Through an offline batch too, where the key travels in the body.
    (synced,) = await sync(
        system, world.secretary_b, [sync_item(key, "membership", "hold-meeting", meeting_b)]
    )
    assert synced["status"] == "rejected", synced
    assert synced["problem"]["type"].endswith("/idempotency-key-reused")

    again = await system.command(
        world.secretary_a, "membership", "admit-member", admitted, key=key, expect=200
    )
    assert again.json()["duplicate"] is True
    assert again.json()["event_ids"] == first.json()["event_ids"]
    # Nothing of the refused requests happened: B's meeting was not recorded under A's key.
    fresh = await system.command(world.secretary_b, "membership", "hold-meeting", meeting_b)
    assert fresh.json()["duplicate"] is False


async def test_every_query_honours_a_consistency_token_or_refuses_it(
    system: System, world: World
) -> None:
    """Every query of the four services, generated from the OpenAPI document: with a token
    from a write of its own service it answers once its read models reflect that write
    (`stale: false`); with a token of another service's write it is 422
    `token-not-applicable`, never `stale: false` without having waited (issue #18)."""
    member = world.members[1]
    admitted = admit_body(DEMO_CLUB_A, "Lý Thị Hạnh", "female", date(1955, 6, 1))
    written = await system.command(world.secretary_a, "membership", "admit-member", admitted)
    loan_id = new_id()
    applied = await retry_until_known(
        system,
        world.secretary_a,
        "finance",
        "submit-loan-application",
        {
            "loan_id": str(loan_id),
            "club_id": str(DEMO_CLUB_A),
            "member_id": str(member.member_id),
            "principal": 1_000_000,
            "purpose": "livestock",
            "applied_on": TODAY.isoformat(),
        },
    )
    fee = await system.command(
        world.secretary_a,
        "finance",
        "record-membership-fee",
        {
            "club_id": str(DEMO_CLUB_A),
            "fee_id": str(new_id()),
            "member_id": str(member.member_id),
            "amount": 123_000,
            "received_on": TODAY.isoformat(),
        },
    )
    case_id = await open_care_case(system, world, member)
    issue = await system.command(
        world.secretary_a,
        "advocacy",
        "raise-issue",
        {
            "issue_id": str(new_id()),
            "club_id": str(DEMO_CLUB_A),
            "topic": "Đường vào xóm",
            "raised_on": TODAY.isoformat(),
        },
    )
    # The care token comes from a care write's answer: reading the case back without a
    # token could meet a read model that has not caught up yet (it did, under load).
    visited = await system.command(
        world.volunteer_a, "care", "record-visit", visit_body(case_id, world.volunteer_ids[0])
    )
    tokens = {
        "membership": written_token(written, "member-"),
        "finance": written_token(applied, "loan-"),
        "care": written_token(visited, "case-"),
        "advocacy": written_token(issue, "issue-"),
    }
    week = TODAY.isocalendar()
    values: dict[str, Any] = {
        "club_id": DEMO_CLUB_A,
        "person_id": member.person_id,
        "loan_id": loan_id,
        "case_id": case_id,
        "as_of": TODAY,
        "on": TODAY,
        "year": TODAY.year,
        "iso_year": week[0],
        "iso_week": week[1],
    }
    openapi = (await system.http.get("/openapi.json")).json()
    queries = [
        (path, operations["get"])
        for path, operations in openapi["paths"].items()
        if "/queries/" in path and path.split("/")[2] in tokens
    ]
    assert len(queries) >= 18
    wrong: list[str] = []
    for path, operation in queries:
        service = path.split("/")[2]
        params = {
            p["name"]: str(values[p["name"]])
            for p in operation.get("parameters", [])
            if p["name"] in values
        }
        missing = [
            p["name"]
            for p in operation.get("parameters", [])
            if p.get("required") and p["name"] not in params
        ]
        assert missing == [], f"{path}: add a value for {missing}"
        headers = {"Authorization": f"Bearer {world.secretary_a}"}
        own = await system.http.get(
            path, params={**params, "consistency": tokens[service]}, headers=headers
        )
        if own.status_code == 403:  # not the secretary's to read: ask as a national admin
            headers = {"Authorization": f"Bearer {world.admin}"}
            own = await system.http.get(
                path, params={**params, "consistency": tokens[service]}, headers=headers
            )
        if own.status_code != 200 or own.json()["stale"] is not False:
            wrong.append(f"{path} with its own token: {own.status_code} {own.text[:200]}")
        other = "care" if service != "care" else "finance"
        foreign = await system.http.get(
            path, params={**params, "consistency": tokens[other]}, headers=headers
        )
        if foreign.status_code != 422 or not foreign.json()["type"].endswith(
            "/token-not-applicable"
        ):
            wrong.append(f"{path} with {other}'s token: {foreign.status_code} {foreign.text[:200]}")
    assert wrong == []

    # The fund statement waits for the fee it is asked about (it used to ignore the token).
    statement = await system.query(
        world.secretary_a,
        "finance",
        "fund-statement",
        club_id=DEMO_CLUB_A,
        consistency=written_token(fee, "fund-"),
    )
    assert statement.status_code == 200, statement.text
    assert statement.json()["stale"] is False
    months = statement.json()["data"]["months"]
    assert sum(m["inflow"] for m in months) >= 123_000
