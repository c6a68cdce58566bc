"""Every care event has a realistic example that survives the wire (what
contracts/tests/test_catalogue.py checks for all services; these are the care entries for its
EXAMPLES table), and the sensitive mark sits on health data."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from ishc_contracts import sensitive_fields
from ishc_contracts.care import EVENTS
from ishc_contracts.care.events import NeedsAssessed, VisitCompleted
from ishc_contracts.catalogue import REGISTRY

pytestmark = pytest.mark.unit


def uid(n: int) -> str:
    return str(UUID(int=n))


CLUB, PERSON, CASE = uid(1), uid(3), uid(5)
ON = "2026-03-21"
BP = {"systolic": 150, "diastolic": 95}

CARE_EXAMPLES: dict[str, dict[str, Any]] = {
    "care.CareReferralReceived": {
        "case_id": CASE, "club_id": CLUB, "person_id": PERSON, "full_name": "Nguyễn Thị Lan",
        "referred_on": ON, "referred_by": "volunteer", "reasons": ["lives_alone"],
    },
    "care.NeedsAssessed": {
        "case_id": CASE, "club_id": CLUB, "assessed_on": ON, "assessed_by": "board",
        "reasons": ["lives_alone", "limited_mobility"], "daily_living_needs": ["bathing"],
    },
    "care.CarePlanOpened": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "tasks": ["cleaning"],
        "starts_on": ON,
    },
    "care.VolunteersAssigned": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "volunteer_ids": [uid(24), uid(41)],
        "assigned_on": ON,
    },
    "care.VolunteerReassignmentNeeded": {
        "case_id": CASE, "club_id": CLUB, "volunteer_id": uid(41), "left_on": ON,
        "remaining_volunteer_ids": [uid(24)],
    },
    "care.VisitCompleted": {
        "visit_id": uid(42), "case_id": CASE, "club_id": CLUB, "volunteer_ids": [uid(24)],
        "visited_on": ON, "started_at": "2026-03-21T08:30:00+07:00", "blood_pressure": BP,
        "observations": "Tired, ate little",
    },
    "care.VisitMerged": {
        "visit_id": uid(45), "merged_into": uid(42), "case_id": CASE, "club_id": CLUB,
        "visited_on": ON,
    },
    "care.VisitMissed": {
        "visit_id": uid(43), "case_id": CASE, "club_id": CLUB, "due_on": ON,
        "reason": "recipient_in_hospital",
    },
    "care.WeeklyVisitTargetMet": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "iso_week": "2026-W53",
        "week_starts_on": "2026-12-28", "visits_required": 2, "visits_done": 2,
    },
    "care.WeeklyVisitTargetMissed": {
        "case_id": CASE, "plan_id": uid(40), "club_id": CLUB, "iso_week": "2026-W12",
        "week_starts_on": "2026-03-16", "visits_required": 2, "visits_done": 1,
        "consecutive_misses": 1,
    },
    "care.WeeklyVisitTargetMetLate": {
        "case_id": CASE, "club_id": CLUB, "iso_week": "2026-W12", "visits_required": 2,
        "visits_done": 2, "visit_id": uid(46),
    },
    "care.CaseEscalated": {
        "case_id": CASE, "club_id": CLUB, "iso_week": "2026-W13", "consecutive_misses": 2,
    },
    "care.CareSuspended": {
        "case_id": CASE, "club_id": CLUB, "suspended_on": ON, "reason": "hospital",
    },
    "care.CareResumed": {"case_id": CASE, "club_id": CLUB, "resumed_on": ON},
    "care.CareCaseClosed": {
        "case_id": CASE, "club_id": CLUB, "person_id": PERSON, "closed_on": ON, "reason": "died",
    },
    "care.HealthCheckRecorded": {
        "check_id": uid(44), "club_id": CLUB, "person_id": PERSON, "checked_on": ON,
        "provider": "commune_health_station", "blood_pressure": BP, "glucose_mmol_l": 6.1,
    },
}  # fmt: skip


def test_every_care_event_has_an_example() -> None:
    assert set(CARE_EXAMPLES) == {model.wire_name() for model in EVENTS}


@pytest.mark.parametrize("wire_name", sorted(CARE_EXAMPLES))
def test_a_care_event_survives_a_json_round_trip(wire_name: str) -> None:
    model = REGISTRY.model(wire_name)
    event = REGISTRY.decode(wire_name, model.schema_version, CARE_EXAMPLES[wire_name])
    on_the_wire = json.loads(event.model_dump_json())
    assert REGISTRY.decode(wire_name, model.schema_version, on_the_wire) == event


def test_every_case_fact_is_published_under_the_case_aggregate() -> None:
    aggregates = {model.__name__: model.aggregate for model in EVENTS}
    assert aggregates.pop("HealthCheckRecorded") == "health_check"
    assert set(aggregates.values()) == {"case"}


def test_health_data_is_sensitive() -> None:
    assert {"blood_pressure", "observations", "follow_up"} <= sensitive_fields(VisitCompleted)
    assert {"reasons", "daily_living_needs", "note"} <= sensitive_fields(NeedsAssessed)
