"""Canary values for every sensitive field a club can record through the API, and the
history that plants them (shared by the canary and erasure acceptance tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from gateway.auth import DEMO_CLUB_A
from ishc_contracts import new_id
from ishc_runtime.clock import VN_TZ

from .harness import System, until_known

TODAY = datetime.now(VN_TZ).date()

NAME = "Canaryxuyen Vũ Thị Xuyến"
VOLUNTEER_NAME = "Canaryhanh Đỗ Văn Hạnh"
BIRTH = "1931-07-19"
PHONE = "+84 999 314 159"
ID_NUMBER = "CANARY31415926"
DISABILITY_CERTIFICATE = "CANARY-DISAB-2718"
POVERTY_CERTIFICATE = "CANARY-POOR-1618"
NOTES = {
    "referral": "canary-note referral: ở một mình, hay quên uống thuốc",
    "assessment": "canary-note assessment: cần giúp tắm rửa",
    "visit": "canary-note visit: chóng mặt buổi sáng",
    "check": "canary-note check: phù chân",
    "loan": "canary-note loan: chồng mới mất",
    "exit": "canary-note exit: chuyển vào viện dưỡng lão",
}
TEXT_CANARIES = [
    NAME,
    VOLUNTEER_NAME,
    BIRTH,
    PHONE,
    ID_NUMBER,
    DISABILITY_CERTIFICATE,
    POVERTY_CERTIFICATE,
    *NOTES.values(),
]


async def plant(system: System, *, leaves: bool = True) -> tuple[UUID, UUID, UUID]:
    """Canaries in every sensitive field; returns the person, their member id and care case.
    `leaves`: the person's membership ends today (the exit's note is a canary too)."""
    admin = await system.token(user="admin")
    secretary = await system.token(user="secretary-a")
    volunteer = await system.token(user="volunteer-a")
    await system.command(
        admin,
        "membership",
        "establish-club",
        {
            "club_id": str(DEMO_CLUB_A),
            "name": "CLB Liên thế hệ tự giúp nhau Hoàn Kiếm",
            "admin_unit": "01:00070",
            "founded_on": "2024-03-21",
        },
    )
    member_id, person_id, household_id = new_id(), new_id(), new_id()
    await system.command(
        secretary,
        "membership",
        "admit-member",
        {
            "member_id": str(member_id),
            "person_id": str(person_id),
            "household_id": str(household_id),
            "club_id": str(DEMO_CLUB_A),
            "full_name": NAME,
            "sex": "female",
            "birth_date": BIRTH,
            "joined_on": (TODAY - timedelta(days=30)).isoformat(),
            "phone": PHONE,
            "id_number": ID_NUMBER,
            "ethnic_minority": True,
        },
    )
    await system.command(
        secretary,
        "membership",
        "record-disability-assessment",
        {
            "person_id": str(person_id),
            "level": "severe",
            "assessed_on": TODAY.isoformat(),
            "certificate_no": DISABILITY_CERTIFICATE,
        },
    )
    await system.command(
        secretary,
        "membership",
        "record-poverty-certificate",
        {
            "household_id": str(household_id),
            "club_id": str(DEMO_CLUB_A),
            "status": "poor",
            "standard": "2022-2025",
            "valid_from": TODAY.isoformat(),
            "certificate_no": POVERTY_CERTIFICATE,
            "person_ids": [str(person_id)],
        },
    )
    volunteer_id = new_id()
    await system.command(
        secretary,
        "membership",
        "register-volunteer",
        {
            "volunteer_id": str(volunteer_id),
            "club_id": str(DEMO_CLUB_A),
            "person_id": str(new_id()),
            "full_name": VOLUNTEER_NAME,
            "registered_on": TODAY.isoformat(),
            "confidentiality_signed": True,
            "phone": PHONE,
        },
    )

    case_id = new_id()
    await until_known(
        system,
        secretary,
        "care",
        "refer-for-care",
        {
            "case_id": str(case_id),
            "club_id": str(DEMO_CLUB_A),
            "person_id": str(person_id),
            "member_id": str(member_id),
            "full_name": NAME,
            "referred_on": TODAY.isoformat(),
            "referred_by": "club_board",
            "reasons": ["lives_alone", "disability"],
            "note": NOTES["referral"],
        },
    )
    for name, body in (
        (
            "assess-needs",
            {
                "assessed_on": TODAY.isoformat(),
                "assessed_by": "club_board",
                "daily_living_needs": ["bathing"],
                "note": NOTES["assessment"],
            },
        ),
        ("open-care-plan", {"plan_id": str(new_id()), "starts_on": TODAY.isoformat()}),
        (
            "assign-volunteers",
            {"volunteer_ids": [str(volunteer_id)], "assigned_on": TODAY.isoformat()},
        ),
    ):
        await until_known(system, secretary, "care", name, {"case_id": str(case_id), **body})
    # Health follow-up needs the person's consent (ishc_runtime.consent): care learns it
    # from membership's events, so the visit is retried until care has heard of it.
    await system.command(
        secretary,
        "membership",
        "record-consent",
        {
            "consent_id": str(new_id()),
            "person_id": str(person_id),
            "club_id": str(DEMO_CLUB_A),
            "purpose": "health_data",
            "given_on": (TODAY - timedelta(days=30)).isoformat(),
            "method": "written",
        },
    )
    await until_known(
        system,
        volunteer,
        "care",
        "record-visit",
        {
            "visit_id": str(new_id()),
            "case_id": str(case_id),
            "volunteer_ids": [str(volunteer_id)],
            "visited_on": TODAY.isoformat(),
            "duration_minutes": 40,
            "blood_pressure": {"systolic": 187, "diastolic": 113},
            "observations": NOTES["visit"],
            "follow_up": ["see_doctor"],
        },
    )
    await until_known(
        system,
        secretary,
        "care",
        "record-health-check",
        {
            "check_id": str(new_id()),
            "club_id": str(DEMO_CLUB_A),
            "person_id": str(person_id),
            "member_id": str(member_id),
            "checked_on": TODAY.isoformat(),
            "blood_pressure": {"systolic": 187, "diastolic": 113},
            "glucose_mmol_l": 17.77,
            "weight_kg": 43.21,
            "observations": NOTES["check"],
            "referred_to": "district_hospital",
        },
    )

    board = await system.token(user="board-a")
    await system.command(
        board,
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
    await until_known(
        system,
        secretary,
        "finance",
        "submit-loan-application",
        {
            "loan_id": str(new_id()),
            "club_id": str(DEMO_CLUB_A),
            "member_id": str(member_id),
            "principal": 3_000_000,
            "purpose": "livestock",
            "applied_on": TODAY.isoformat(),
            "note": NOTES["loan"],
        },
    )
    await until_known(
        system,
        secretary,
        "advocacy",
        "record-benefit-facts",
        {
            "person_id": str(person_id),
            "club_id": str(DEMO_CLUB_A),
            "recorded_on": TODAY.isoformat(),
            "monthly_pension": 0,
            "has_supporter": False,
        },
    )
    if not leaves:
        return person_id, member_id, case_id
    await system.command(
        secretary,
        "membership",
        "record-member-exit",
        {
            "member_id": str(member_id),
            "person_id": str(person_id),
            "left_on": TODAY.isoformat(),
            "reason": "moved",
            "note": NOTES["exit"],
        },
    )
    return person_id, member_id, case_id
