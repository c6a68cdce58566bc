"""A realistic example of every advocacy event: documentation for consumers, and the
payloads the contract tests round-trip through the registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def uid(n: int) -> str:
    return str(UUID(int=n))


CLUB, MEMBER, PERSON, CASE = uid(1), uid(2), uid(3), uid(5)
ON = "2026-03-21"

EXAMPLES: dict[str, dict[str, Any]] = {
    "advocacy.EligibilityScreened": {
        "screening_id": uid(50), "person_id": PERSON, "club_id": CLUB, "scheme": "social_pension",
        "as_of": "2026-03-01", "result": "eligible", "rule_version": "decree-176-2025/1",
        "expected_monthly_amount": 500_000, "facts": {"age": 76, "monthly_pension": 0},
    },
    "advocacy.BenefitFactsRecorded": {
        "person_id": PERSON, "club_id": CLUB, "recorded_on": ON, "monthly_pension": 0,
        "has_supporter": False,
    },
    "advocacy.EntitlementCaseOpened": {
        "case_id": CASE, "person_id": PERSON, "club_id": CLUB, "scheme": "social_pension",
        "opened_on": ON, "trigger": "screening", "screening_id": uid(50),
    },
    "advocacy.DocumentsReady": {
        "case_id": CASE, "club_id": CLUB, "ready_on": ON, "documents": ["form_01", "cccd"],
    },
    "advocacy.EntitlementClaimed": {
        "case_id": CASE, "club_id": CLUB, "submitted_on": ON, "office": "42:18439",
        "documents": ["form_01"],
    },
    "advocacy.SubmissionOverdue": {
        "case_id": CASE, "club_id": CLUB, "submitted_on": "2026-03-02",
        "decision_due_on": "2026-03-16", "as_of": "2026-03-17",
    },
    "advocacy.EntitlementApproved": {
        "case_id": CASE, "club_id": CLUB, "decided_on": "2026-04-01", "monthly_amount": 500_000,
        "payable_from": "2026-04-01",
    },
    "advocacy.EntitlementRejected": {
        "case_id": CASE, "club_id": CLUB, "decided_on": "2026-04-01",
        "reason": "Receives a monthly pension above 500,000 VND",
    },
    "advocacy.AppealFiled": {
        "case_id": CASE, "club_id": CLUB, "filed_on": "2026-04-10",
        "grounds": "The pension was a one-off payment",
    },
    "advocacy.BenefitPaymentConfirmed": {
        "case_id": CASE, "club_id": CLUB, "payment_id": uid(51), "paid_on": "2026-04-10",
        "amount": 500_000, "first_payment": True,
    },
    "advocacy.EntitlementCaseClosed": {
        "case_id": CASE, "club_id": CLUB, "closed_on": "2026-04-11", "reason": "paid",
    },
    "advocacy.IssueRaised": {
        "issue_id": uid(52), "club_id": CLUB, "topic": "Social pension not paid since July",
        "raised_on": ON, "affected_member_ids": [MEMBER],
    },
    "advocacy.PetitionSubmitted": {
        "issue_id": uid(52), "club_id": CLUB, "petition_id": uid(53), "authority": "ubnd-xa",
        "submitted_on": ON, "signatures": 42,
    },
    "advocacy.AuthorityResponded": {
        "issue_id": uid(52), "club_id": CLUB, "petition_id": uid(53),
        "responded_on": "2026-04-02", "outcome": "accepted",
    },
    "advocacy.AwarenessSessionHeld": {
        "session_id": uid(54), "club_id": CLUB, "topic": "social_pension_2025", "held_on": ON,
        "attendee_member_ids": [MEMBER], "guests": 3,
    },
}  # fmt: skip
