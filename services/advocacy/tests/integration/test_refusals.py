"""Over NATS: impossible transitions and bad input are typed problems that append nothing;
collective voice goes through the real service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from nats.aio.client import Client

from advocacy.definition import definition
from advocacy.settings import Settings
from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope, new_id
from ishc_contracts.errors import Reply
from ishc_runtime.service import Service, send_command
from ishc_runtime.testing.infrastructure import Infrastructure

pytestmark = pytest.mark.integration

CLUB = new_id()


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    database_dsn: str, infrastructure: Infrastructure, service_streams: None
) -> AsyncIterator[Service]:
    settings = Settings(
        database_url=database_dsn, nats_url=infrastructure.nats_url, run_scheduler=False
    )
    async with Service(definition(), settings) as running:
        yield running


def command(kind: str, **payload: object) -> CommandEnvelope:
    body = {k: (str(v) if isinstance(v, UUID | date) else v) for k, v in payload.items()}
    return CommandEnvelope(command_id=new_id(), type=kind, actor=SYSTEM_ACTOR, payload=body)


async def send(nc: Client, kind: str, **payload: object) -> Reply:
    return await send_command(nc, "advocacy", command(kind, **payload))


async def consent_to_sharing(service: Service, person_id: UUID) -> None:
    await service.context.pool.execute(
        "INSERT INTO consents (consent_id, person_id, purpose, given_on)"
        " VALUES ($1, $2, 'share_with_commune', '2025-01-01')",
        new_id(),
        person_id,
    )


async def events(service: Service) -> int:
    found: int = await service.context.pool.fetchval("SELECT count(*) FROM events")
    return found


async def test_approving_a_rejected_claim_without_appeal_is_a_typed_409(
    service: Service, nats_client: Client
) -> None:
    case = new_id()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("OpenEntitlementCase", {"person_id": new_id(), "club_id": CLUB,
                                 "scheme": "social_pension", "opened_on": date(2025, 7, 1)}),
        ("MarkDocumentsReady", {"ready_on": date(2025, 7, 2)}),
        ("RecordSubmission", {"submitted_on": date(2025, 7, 3), "office": "79:26734"}),
        ("RecordDecision", {"decided_on": date(2025, 7, 10), "outcome": "rejected",
                            "reason": "Receives a pension of 2,100,000 VND"}),
    ]  # fmt: skip
    # The person consented to sharing with offices (what membership's events would bring).
    await consent_to_sharing(service, steps[0][1]["person_id"])
    for kind, payload in steps:
        reply = await send(nats_client, kind, case_id=case, **payload)
        assert reply.ok, reply.problem
    before = await events(service)

    reply = await send(nats_client, "RecordDecision", case_id=case, decided_on=date(2025, 7, 11),
                       outcome="approved", monthly_amount=500_000,
                       payable_from=date(2025, 7, 1))  # fmt: skip

    assert not reply.ok and reply.problem is not None
    assert (reply.problem.type, reply.problem.status) == ("invalid-transition", 409)
    assert [issue.field for issue in reply.problem.errors] == ["case_id"]
    assert await events(service) == before
    appeal = await send(nats_client, "FileAppeal", case_id=case, filed_on=date(2025, 7, 20),
                        grounds="The pension was a one-off payment")  # fmt: skip
    assert appeal.ok, appeal.problem
    again = await send(nats_client, "RecordDecision", case_id=case, decided_on=date(2025, 7, 25),
                       outcome="approved", monthly_amount=500_000,
                       payable_from=date(2025, 7, 1))  # fmt: skip
    assert again.ok, again.problem


@pytest.mark.parametrize(
    ("kind", "payload", "problem_type", "field"),
    [
        ("ScreenEligibility", {"screening_id": new_id(), "person_id": new_id(),
                               "scheme": "lottery", "as_of": date(2025, 7, 1)},
         "validation", "payload.scheme"),  # not in the schemes list (ishc_contracts.reference)
        ("ScreenEligibility", {"screening_id": new_id(), "person_id": new_id(),
                               "scheme": "poverty_certification", "as_of": date(2025, 7, 1)},
         "unknown-scheme", "scheme"),  # listed, but no eligibility rule screens it
        ("ScreenEligibility", {"screening_id": new_id(), "person_id": new_id(),
                               "scheme": "social_pension", "as_of": date(2025, 7, 1)},
         "not-found", "person_id"),
        ("ConfirmPayment", {"case_id": new_id(), "payment_id": new_id(),
                            "paid_on": date(2025, 8, 1), "amount": 500_000.0},
         "validation", "payload.amount"),
        ("RecordDecision", {"case_id": new_id(), "decided_on": date(2025, 8, 1),
                            "outcome": "approved"}, "case-not-found", "case_id"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_typed_problem_naming_the_field(
    service: Service,
    nats_client: Client,
    kind: str,
    payload: dict[str, Any],
    problem_type: str,
    field: str,
) -> None:
    reply = await send(nats_client, kind, **payload)

    assert not reply.ok and reply.problem is not None
    assert reply.problem.type == problem_type
    assert field in [issue.field for issue in reply.problem.errors]
    assert await events(service) == 0


async def test_an_issue_goes_to_the_commune_and_gets_an_answer(
    service: Service, nats_client: Client
) -> None:
    issue, petition = new_id(), new_id()
    raised = await send(nats_client, "RaiseIssue", issue_id=issue, club_id=CLUB,
                        topic="Social pension not paid since July", raised_on=date(2025, 9, 1),
                        affected_member_ids=[str(new_id()), str(new_id())])  # fmt: skip
    submitted = await send(nats_client, "SubmitPetition", issue_id=issue, petition_id=petition,
                           authority="ubnd-xa", submitted_on=date(2025, 9, 5),
                           signatures=42)  # fmt: skip
    answer = {"issue_id": issue, "petition_id": petition, "responded_on": date(2025, 9, 20),
              "outcome": "accepted"}  # fmt: skip
    answered = await send(nats_client, "RecordAuthorityResponse", **answer)
    assert raised.ok and submitted.ok and answered.ok
    twice = await send(nats_client, "RecordAuthorityResponse", **answer)
    assert not twice.ok and twice.problem is not None
    assert twice.problem.type == "invalid-transition"
