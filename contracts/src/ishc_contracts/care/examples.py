"""A realistic example of every care event: documentation for consumers, and the
payloads the contract tests round-trip through the registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def uid(n: int) -> str:
    return str(UUID(int=n))


CLUB, PERSON, CASE = uid(1), uid(3), uid(5)
ON = "2026-03-21"
BP = {"systolic": 150, "diastolic": 95}

EXAMPLES: dict[str, dict[str, Any]] = {
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
    "care.WeeklyVerdictWithdrawn": {
        "case_id": CASE, "club_id": CLUB, "iso_week": "2026-W13", "week_starts_on": "2026-03-23",
        "reason": "suspended",
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
