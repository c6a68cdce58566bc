"""Every catalogued event: a realistic example survives the wire, and the catalogue rules hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from ishc_contracts import InvalidEventPayload
from ishc_contracts.advocacy.examples import EXAMPLES as ADVOCACY_EXAMPLES
from ishc_contracts.audit import EXAMPLES as AUDIT_EXAMPLES
from ishc_contracts.care.examples import EXAMPLES as CARE_EXAMPLES
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.finance.examples import EXAMPLES as FINANCE_EXAMPLES
from ishc_contracts.subjects import RECORD_STREAMS, SERVICES

pytestmark = pytest.mark.unit


def uid(n: int) -> str:
    return str(UUID(int=n))


CLUB, MEMBER, PERSON, MEETING, CASE, LOAN, FUND = (uid(n) for n in range(1, 8))
ON = "2026-03-21"
BP = {"systolic": 150, "diastolic": 95}

EXAMPLES: dict[str, dict[str, Any]] = {
    "membership.ClubEstablished": {
        "club_id": CLUB, "name": "CLB Liên thế hệ tự giúp nhau Lộc Hà", "admin_unit": "42:18439",
        "founded_on": ON, "founding_project": "de_an_1336",
        "activity_areas": ["livelihoods", "home_care"], "meeting_day_of_month": 21,
    },
    "membership.ClubStatusChanged": {
        "club_id": CLUB, "status": "dormant", "changed_on": ON, "reason": "no meetings since March",
    },
    "membership.CharterAdopted": {
        "club_id": CLUB, "charter_version": 1, "adopted_on": ON, "meeting_id": MEETING,
        "board_term_years": 3,
    },
    "membership.MemberJoined": {
        "member_id": MEMBER, "club_id": CLUB, "person_id": PERSON, "full_name": "Nguyễn Thị Lan",
        "sex": "female", "birth_date": "1950-05-02", "joined_on": ON,
        "id_number": "042150000123", "phone": "+84 912 345 678",
    },
    "membership.MemberLeft": {
        "member_id": MEMBER, "club_id": CLUB, "person_id": PERSON, "left_on": ON, "reason": "died",
    },
    "membership.MemberProfileUpdated": {
        "member_id": MEMBER, "club_id": CLUB, "village": "Thôn 3", "cleared": ["phone"],
    },
    "membership.HouseholdPovertyStatusRecorded": {
        "household_id": uid(20), "club_id": CLUB, "status": "near_poor", "standard": "2022-2025",
        "valid_from": "2026-01-01", "person_ids": [PERSON],
    },
    "membership.DisabilityLevelRecorded": {
        "member_id": MEMBER, "club_id": CLUB, "person_id": PERSON, "level": "severe",
        "assessed_on": ON,
    },
    "membership.BoardElected": {
        "club_id": CLUB, "board_term_id": uid(21), "term_starts_on": ON,
        "seats": [
            {"member_id": MEMBER, "role": "chair"}, {"member_id": uid(22), "role": "treasurer"},
        ],
    },
    "membership.MeetingHeld": {
        "meeting_id": MEETING, "club_id": CLUB, "held_on": ON, "agenda": ["Loans", "Home care"],
    },
    "membership.AttendanceRecorded": {
        "meeting_id": MEETING, "club_id": CLUB, "present": [MEMBER, uid(22)], "guests": 2,
    },
    "membership.MeetingDecisionRecorded": {
        "meeting_id": MEETING, "club_id": CLUB, "decision_id": uid(23), "kind": "loan_approval",
        "summary": "Approve 5m VND for a breeding pig", "subject_id": LOAN, "votes_for": 41,
    },
    "membership.VolunteerRegistered": {
        "volunteer_id": uid(24), "club_id": CLUB, "person_id": uid(25), "full_name": "Lê Văn Hùng",
        "registered_on": ON, "skills": ["massage"], "confidentiality_signed": True,
    },
    "membership.ConsentGiven": {
        "consent_id": uid(26), "person_id": PERSON, "club_id": CLUB, "purpose": "health_data",
        "given_on": ON, "method": "thumbprint",
    },
    "membership.ConsentWithdrawn": {
        "consent_id": uid(26), "person_id": PERSON, "club_id": CLUB, "purpose": "health_data",
        "withdrawn_on": ON, "method": "written",
    },
    "finance.FundCapitalised": {
        "fund_id": FUND, "club_id": CLUB, "fund_type": "income_generation", "amount": 30_000_000,
        "source": "project", "source_ref": "VIE071", "received_on": ON,
    },
    "finance.LoanApplied": {
        "loan_id": LOAN, "club_id": CLUB, "fund_id": FUND, "member_id": MEMBER,
        "principal": 5_000_000, "term_months": 2, "purpose": "livestock", "applied_on": ON,
    },
    "finance.LoanApproved": {
        "loan_id": LOAN, "club_id": CLUB, "principal": 5_000_000, "term_months": 2,
        "interest_method": "flat", "monthly_interest_bp": 50, "approved_on": ON,
        "meeting_id": MEETING,
    },
    "finance.LoanIssued": {
        "loan_id": LOAN, "club_id": CLUB, "fund_id": FUND, "member_id": MEMBER,
        "principal": 5_000_000, "disbursed_on": ON,
        "schedule": [
            {"number": 1, "due_on": "2026-04-21", "principal": 2_500_000, "interest": 25_000},
            {"number": 2, "due_on": "2026-05-21", "principal": 2_500_000, "interest": 25_000},
        ],
    },
    "finance.RepaymentReceived": {
        "loan_id": LOAN, "club_id": CLUB, "fund_id": FUND, "repayment_id": uid(30),
        "received_on": "2026-04-21", "principal": 2_500_000, "interest": 25_000,
    },
    "finance.LoanBecameOverdue": {
        "loan_id": LOAN, "club_id": CLUB, "member_id": MEMBER, "as_of": "2026-06-01",
        "days_overdue": 11, "bucket": "1-30", "overdue_principal": 2_500_000,
        "overdue_interest": 25_000, "outstanding_principal": 2_500_000,
    },
    "finance.LoanWrittenOff": {
        "loan_id": LOAN, "club_id": CLUB, "fund_id": FUND, "written_off_on": "2026-07-21",
        "principal": 2_500_000, "interest": 0, "reason": "death", "meeting_id": MEETING,
    },
    "finance.MembershipFeeReceived": {
        "fund_id": uid(31), "club_id": CLUB, "fee_id": uid(32), "member_id": MEMBER,
        "amount": 10_000, "received_on": ON, "period": "2026-03",
    },
    "finance.MutualAidGranted": {
        "fund_id": uid(31), "club_id": CLUB, "grant_id": uid(33), "member_id": MEMBER,
        "amount": 500_000, "reason": "illness", "granted_on": ON, "meeting_id": MEETING,
    },
    "care.CareReferralReceived": {
        "case_id": CASE, "club_id": CLUB, "person_id": PERSON, "full_name": "Nguyễn Thị Lan",
        "referred_on": ON, "referred_by": "volunteer", "reasons": ["lives_alone"],
    },
    "care.CarePlanOpened": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "tasks": ["cleaning"],
        "starts_on": ON,
    },
    "care.VolunteersAssigned": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "volunteer_ids": [uid(24), uid(41)],
        "assigned_on": ON,
    },
    "care.VisitCompleted": {
        "visit_id": uid(42), "case_id": CASE, "club_id": CLUB, "volunteer_ids": [uid(24)],
        "visited_on": ON, "started_at": "2026-03-21T08:30:00+07:00", "blood_pressure": BP,
        "observations": "Tired, ate little",
    },
    "care.VisitMissed": {
        "visit_id": uid(43), "case_id": CASE, "club_id": CLUB, "due_on": ON,
        "reason": "recipient_in_hospital",
    },
    "care.WeeklyVisitTargetMissed": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "iso_week": "2026-W12",
        "week_starts_on": "2026-03-16", "visits_required": 2, "visits_done": 1,
        "consecutive_misses": 1,
    },
    "care.CareCaseClosed": {
        "case_id": CASE, "club_id": CLUB, "person_id": PERSON, "closed_on": ON, "reason": "died",
    },
    "care.HealthCheckRecorded": {
        "check_id": uid(44), "club_id": CLUB, "person_id": PERSON, "checked_on": ON,
        "provider": "commune_health_station", "blood_pressure": BP, "glucose_mmol_l": 6.1,
    },
    "advocacy.EligibilityScreened": {
        "screening_id": uid(50), "person_id": PERSON, "club_id": CLUB, "scheme": "social_pension",
        "as_of": "2026-03-01", "result": "eligible", "rule_version": "decree-176-2025/1",
        "expected_monthly_amount": 500_000, "facts": {"age": 76, "monthly_pension": 0},
    },
    "advocacy.EntitlementCaseOpened": {
        "case_id": CASE, "person_id": PERSON, "club_id": CLUB, "scheme": "social_pension",
        "opened_on": ON, "trigger": "screening", "screening_id": uid(50),
    },
    "advocacy.EntitlementClaimed": {
        "case_id": CASE, "club_id": CLUB, "submitted_on": ON, "office": "42:18439",
        "documents": ["form_01"],
    },
    "advocacy.EntitlementApproved": {
        "case_id": CASE, "club_id": CLUB, "decided_on": "2026-04-01", "monthly_amount": 500_000,
        "payable_from": "2026-04-01",
    },
    "advocacy.EntitlementRejected": {
        "case_id": CASE, "club_id": CLUB, "decided_on": "2026-04-01",
        "reason": "Receives a monthly pension above 500,000 VND",
    },
    "advocacy.BenefitPaymentConfirmed": {
        "case_id": CASE, "club_id": CLUB, "payment_id": uid(51), "paid_on": "2026-04-10",
        "amount": 500_000, "first_payment": True,
    },
}  # fmt: skip


# Services that reshaped or added events keep their examples beside their contracts.
EXAMPLES = {
    **EXAMPLES,
    **CARE_EXAMPLES,
    **FINANCE_EXAMPLES,
    **ADVOCACY_EXAMPLES,
    **AUDIT_EXAMPLES,
}


def test_every_event_has_an_example() -> None:
    assert set(EXAMPLES) == {model.wire_name() for model in REGISTRY.models()}


@pytest.mark.parametrize("wire_name", sorted(EXAMPLES))
def test_an_event_survives_a_json_round_trip(wire_name: str) -> None:
    model = REGISTRY.model(wire_name)
    event = REGISTRY.decode(wire_name, model.schema_version, EXAMPLES[wire_name])
    on_the_wire = json.loads(event.model_dump_json())
    assert REGISTRY.decode(wire_name, model.schema_version, on_the_wire) == event


def test_every_event_declares_service_aggregate_and_version() -> None:
    for model in REGISTRY.models():
        assert model.service in (*SERVICES, *RECORD_STREAMS)
        assert model.aggregate
        assert model.schema_version >= 1
        assert model.__doc__, f"{model.wire_name()} needs a one-line docstring"


# Measurements, not money: the only fields allowed to be JSON numbers rather than integers.
_FLOAT_FIELDS = {"glucose_mmol_l", "weight_kg"}


def _numbers(schema: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "number":
            found.append(path)
        for key, value in schema.items():
            found += _numbers(value, f"{path}.{key}" if key != "anyOf" else path)
    elif isinstance(schema, list):
        for item in schema:
            found += _numbers(item, path)
    return found


def test_money_fields_are_integers() -> None:
    for model in REGISTRY.models():
        for path in _numbers(model.model_json_schema()):
            assert path.rsplit(".", 1)[-1] in _FLOAT_FIELDS, f"{model.wire_name()}{path}"


def test_rules_inside_events_reject_inconsistent_facts() -> None:
    unbalanced = dict(EXAMPLES["finance.LoanIssued"], principal=6_000_000)
    with pytest.raises(InvalidEventPayload, match="schedule principal"):
        REGISTRY.decode("finance.LoanIssued", 1, unbalanced)
    nothing = dict(EXAMPLES["finance.RepaymentReceived"], principal=0, interest=0)
    with pytest.raises(InvalidEventPayload, match="pay something"):
        REGISTRY.decode("finance.RepaymentReceived", 1, nothing)


def test_instants_must_carry_a_timezone() -> None:
    naive = dict(EXAMPLES["care.VisitCompleted"], started_at="2026-03-21T08:30:00")
    with pytest.raises(InvalidEventPayload, match="started_at"):
        REGISTRY.decode("care.VisitCompleted", 1, naive)
    visit = REGISTRY.decode("care.VisitCompleted", 1, EXAMPLES["care.VisitCompleted"])
    assert visit.model_dump()["started_at"] == datetime(2026, 3, 21, 1, 30, tzinfo=UTC)
