"""A hand-built scenario: two clubs, five members, loans, care, claims, with every indicator
worked out by hand (see test_scenario.py for the answers)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ishc_contracts.advocacy.events import (
    EntitlementApproved,
    EntitlementCaseOpened,
    EntitlementRejected,
)
from ishc_contracts.care.events import (
    CareCaseClosed,
    CarePlanOpened,
    CareReferralReceived,
    HealthCheckRecorded,
    VisitCompleted,
    WeeklyVisitTargetMet,
    WeeklyVisitTargetMetLate,
    WeeklyVisitTargetMissed,
)
from ishc_contracts.finance.events import (
    FundCapitalised,
    InKindAssetLent,
    Installment,
    InterestAllocatedToActivityFund,
    LoanBecameOverdue,
    LoanIssued,
    LoanRepaid,
    LoanWrittenOff,
    MembershipFeeReceived,
    MutualAidGranted,
    RepaymentReceived,
)
from ishc_contracts.membership.events import (
    AdminUnitPeriod,
    ClubEstablished,
    ClubStatusChanged,
    DisabilityLevelRecorded,
    HouseholdPovertyStatusRecorded,
    MeetingHeld,
    MemberJoined,
    MemberLeft,
    MemberProfileUpdated,
    VolunteerRegistered,
)
from membership.domain.rules import ACTIVITY_AREAS

from .helpers import Feed


def ids(n: int) -> UUID:
    return UUID(int=n)


A, B = ids(0xA), ids(0xB)
IG, ACT = ids(0x16), ids(0xAC)
M = {n: ids(100 + n) for n in range(1, 7)}  # member ids
P = {n: ids(200 + n) for n in range(1, 7)}  # person ids
H = {n: ids(300 + n) for n in range(1, 7)}  # household ids

LEGACY = AdminUnitPeriod(
    scheme="legacy_63", province_code="74", province_name="Tỉnh Bình Dương",
    district_code="718", district_name="Thành phố Thủ Dầu Một", ward_code="25741",
    ward_name="Phường Hiệp Thành", valid_to=date(2025, 6, 30),
)  # fmt: skip
NEW = AdminUnitPeriod(
    scheme="2025_34", province_code="79", province_name="Thành phố Hồ Chí Minh",
    ward_code="25750", ward_name="Phường Phú Lợi", valid_from=date(2025, 7, 1),
)  # fmt: skip
HANOI = AdminUnitPeriod(
    scheme="2025_34", province_code="01", province_name="Thành phố Hà Nội",
    ward_code="00004", ward_name="Phường Ba Đình", valid_from=date(2025, 7, 1),
)  # fmt: skip


def joined(n: int, club: UUID, sex: str, born: date, on: date, wu: bool = False) -> MemberJoined:
    return MemberJoined(
        member_id=M[n], club_id=club, person_id=P[n], household_id=H[n], full_name=f"M{n}",
        sex=sex, birth_date=born, joined_on=on, womens_union_member=wu,
    )  # fmt: skip


async def membership(feed: Feed) -> None:
    await feed.publish(A, ClubEstablished(
        club_id=A, name="CLB A", admin_unit="79:25750", admin_unit_history=(LEGACY, NEW),
        founded_on=date(2023, 1, 10), activity_areas=tuple(sorted(ACTIVITY_AREAS)),
    ))  # fmt: skip
    await feed.publish(B, ClubEstablished(
        club_id=B, name="CLB B", admin_unit="01:00004", admin_unit_history=(HANOI,),
        founded_on=date(2025, 3, 1),
    ), ClubStatusChanged(club_id=B, status="dormant", changed_on=date(2025, 10, 1)))  # fmt: skip
    await feed.publish(P[1], joined(1, A, "female", date(1950, 3, 1), date(2023, 1, 10), True),
        DisabilityLevelRecorded(member_id=M[1], club_id=A, person_id=P[1], level="mild",
                                assessed_on=date(2024, 5, 1)))  # fmt: skip
    await feed.publish(P[2], joined(2, A, "female", date(1966, 1, 1), date(2025, 2, 1), True))
    # 60 on the reporting date exactly: older
    await feed.publish(P[3], joined(3, A, "male", date(1965, 12, 31), date(2023, 1, 10)))
    # M4 lives in M1's household: N13 counts the household once for both their claims.
    m4 = joined(4, A, "male", date(1940, 1, 1), date(2023, 1, 10)).model_copy(
        update={"household_id": H[1]}
    )
    await feed.publish(P[4], m4,
        MemberLeft(member_id=M[4], club_id=A, person_id=P[4], left_on=date(2025, 6, 30),
                   reason="died"))  # fmt: skip
    await feed.publish(P[5], joined(5, A, "female", date(1958, 7, 1), date(2023, 1, 10)))
    # M5 moves into M1's (poor) household today, long after 2025: the 2025 figures still count
    # M5 in H5, escaped from poverty, and P5's 2025 pension as helping H5.
    await feed.publish(P[5], MemberProfileUpdated(member_id=M[5], club_id=A, household_id=H[1]))
    await feed.publish(P[6], joined(6, B, "female", date(1955, 1, 1), date(2025, 3, 1)))
    await feed.publish(H[1], HouseholdPovertyStatusRecorded(
        household_id=H[1], club_id=A, status="poor", standard="2022-2025",
        valid_from=date(2024, 1, 1),
    ))  # fmt: skip
    # poor until 2024, then escaped: not poor in 2025
    await feed.publish(H[5], HouseholdPovertyStatusRecorded(
        household_id=H[5], club_id=A, status="poor", standard="2022-2025",
        valid_from=date(2022, 1, 1), valid_to=date(2024, 12, 31),
    ), HouseholdPovertyStatusRecorded(
        household_id=H[5], club_id=A, status="escaped", standard="2022-2025",
        valid_from=date(2025, 1, 1),
    ))  # fmt: skip
    for month in range(2, 12):  # ten monthly meetings in 2025
        meeting = ids(400 + month)
        await feed.publish(meeting, MeetingHeld(
            meeting_id=meeting, club_id=A, held_on=date(2025, month, 15)))  # fmt: skip
    for n in range(5):
        volunteer = ids(500 + n)
        await feed.publish(volunteer, VolunteerRegistered(
            volunteer_id=volunteer, club_id=A, person_id=ids(600 + n), full_name=f"V{n}",
            registered_on=date(2023, 6, 1),
        ))  # fmt: skip


def schedule(*items: tuple[date, int, int]) -> tuple[Installment, ...]:
    return tuple(
        Installment(number=n, due_on=due, principal=principal, interest=interest)
        for n, (due, principal, interest) in enumerate(items, start=1)
    )


async def finance(feed: Feed) -> None:
    await feed.publish(IG, FundCapitalised(
        fund_id=IG, club_id=A, fund_type="income_generation", amount=30_000_000,
        source="project", received_on=date(2023, 1, 10),
    ))  # fmt: skip
    await feed.publish(ACT, FundCapitalised(
        fund_id=ACT, club_id=A, fund_type="activity", amount=1_000_000, source="donation",
        received_on=date(2023, 1, 10),
    ), *(MembershipFeeReceived(
        fund_id=ACT, club_id=A, fee_id=ids(700 + n), member_id=M[n], amount=60_000,
        received_on=date(2025, 1, 15),
    ) for n in (1, 3, 5)), InterestAllocatedToActivityFund(
        fund_id=ACT, club_id=A, loan_id=ids(801), repayment_id=ids(901), amount=150_000,
        received_on=date(2025, 4, 10),
    ), FundCapitalised(
        fund_id=ACT, club_id=A, fund_type="activity", amount=500_000, source="donation",
        received_on=date(2025, 6, 1),
    ), MutualAidGranted(
        fund_id=ACT, club_id=A, grant_id=ids(950), member_id=M[3], amount=600_000,
        reason="illness", granted_on=date(2025, 8, 1),
    ))  # fmt: skip
    # L1 to M1 (poor): 6m in three installments, two paid, then overdue since April
    l1 = ids(801)
    await feed.publish(l1, LoanIssued(
        loan_id=l1, club_id=A, fund_id=IG, member_id=M[1], principal=6_000_000,
        disbursed_on=date(2025, 1, 10),
        schedule=schedule((date(2025, 2, 10), 2_000_000, 30_000),
                          (date(2025, 3, 10), 2_000_000, 30_000),
                          (date(2025, 4, 10), 2_000_000, 30_000)),
    ), RepaymentReceived(
        loan_id=l1, club_id=A, fund_id=IG, repayment_id=ids(901),
        received_on=date(2025, 2, 10), principal=2_000_000, interest=30_000,
    ), RepaymentReceived(
        loan_id=l1, club_id=A, fund_id=IG, repayment_id=ids(902),
        received_on=date(2025, 3, 10), principal=2_000_000, interest=30_000,
    ), LoanBecameOverdue(
        loan_id=l1, club_id=A, member_id=M[1], as_of=date(2025, 4, 11), installment=3,
        days_overdue=1, bucket="1-30", overdue_principal=2_000_000, overdue_interest=30_000,
        outstanding_principal=2_000_000,
    ))  # fmt: skip
    # L2 to M3 in 2024, repaid in full
    l2 = ids(802)
    await feed.publish(l2, LoanIssued(
        loan_id=l2, club_id=A, fund_id=IG, member_id=M[3], principal=4_000_000,
        disbursed_on=date(2024, 6, 1),
        schedule=schedule((date(2024, 7, 1), 2_000_000, 20_000),
                          (date(2024, 8, 1), 2_000_000, 20_000)),
    ), RepaymentReceived(
        loan_id=l2, club_id=A, fund_id=IG, repayment_id=ids(903),
        received_on=date(2024, 7, 1), principal=2_000_000, interest=20_000,
    ), RepaymentReceived(
        loan_id=l2, club_id=A, fund_id=IG, repayment_id=ids(904),
        received_on=date(2024, 8, 1), principal=2_000_000, interest=20_000,
    ), LoanRepaid(
        loan_id=l2, club_id=A, member_id=M[3], repaid_on=date(2024, 8, 1),
        principal=4_000_000, interest=40_000,
    ))  # fmt: skip
    # L3 to M5 (no longer poor), written off
    l3 = ids(803)
    await feed.publish(l3, LoanIssued(
        loan_id=l3, club_id=A, fund_id=IG, member_id=M[5], principal=3_000_000,
        disbursed_on=date(2025, 2, 1), schedule=schedule((date(2025, 3, 1), 3_000_000, 15_000)),
    ), LoanWrittenOff(
        loan_id=l3, club_id=A, fund_id=IG, written_off_on=date(2025, 9, 1),
        principal=3_000_000, interest=15_000, reason="illness", meeting_id=ids(409),
    ))  # fmt: skip
    asset = ids(850)
    await feed.publish(asset, InKindAssetLent(
        asset_id=asset, club_id=A, member_id=M[1], asset_type="cow", value=3_000_000,
        lent_on=date(2025, 5, 1), pass_on="offspring", pass_on_due=date(2027, 5, 1),
    ))  # fmt: skip


async def care(feed: Feed) -> None:
    case, plan, volunteers = ids(1001), ids(1002), (ids(500), ids(501))

    def visit(n: int, on: date) -> VisitCompleted:
        return VisitCompleted(
            visit_id=ids(1100 + n), case_id=case, club_id=A, volunteer_ids=volunteers,
            visited_on=on,
        )  # fmt: skip

    await feed.publish(case, CareReferralReceived(
        case_id=case, club_id=A, person_id=P[1], member_id=M[1], full_name="M1",
        referred_on=date(2025, 1, 2), referred_by="board",
    ), CarePlanOpened(
        case_id=case, plan_id=plan, club_id=A, starts_on=date(2025, 1, 6),
    ), visit(1, date(2025, 1, 6)), visit(2, date(2025, 1, 9)), WeeklyVisitTargetMet(
        case_id=case, plan_id=plan, club_id=A, iso_week="2025-W02",
        week_starts_on=date(2025, 1, 6), visits_required=2, visits_done=2,
    ), visit(3, date(2025, 1, 13)), WeeklyVisitTargetMissed(
        case_id=case, plan_id=plan, club_id=A, iso_week="2025-W03",
        week_starts_on=date(2025, 1, 13), visits_required=2, visits_done=1,
        consecutive_misses=1,
    ), visit(4, date(2025, 1, 16)), WeeklyVisitTargetMetLate(
        case_id=case, club_id=A, iso_week="2025-W03", visits_required=2, visits_done=2,
        visit_id=ids(1104),
    ), CareCaseClosed(
        case_id=case, club_id=A, person_id=P[1], closed_on=date(2025, 3, 1),
        reason="recovered",
    ))  # fmt: skip
    for n, (person, member, on) in enumerate(
        ((P[1], M[1], date(2025, 10, 1)), (P[3], M[3], date(2024, 10, 1)))
    ):
        check = ids(1200 + n)
        await feed.publish(check, HealthCheckRecorded(
            check_id=check, club_id=A, person_id=person, member_id=member, checked_on=on,
        ))  # fmt: skip


async def advocacy(feed: Feed) -> None:
    cases = (
        (ids(1301), P[1], "social_pension", date(2025, 3, 1), "approved", date(2025, 4, 1)),
        (ids(1302), P[3], "health_insurance", date(2025, 5, 1), "rejected", date(2025, 6, 1)),
        (ids(1303), P[5], "social_pension", date(2024, 11, 1), "approved", date(2025, 1, 15)),
        (ids(1304), P[4], "funeral_support", date(2025, 7, 5), "approved", date(2025, 8, 1)),
    )
    for case, person, scheme, opened, outcome, decided in cases:
        decision = (
            EntitlementApproved(case_id=case, club_id=A, decided_on=decided)
            if outcome == "approved"
            else EntitlementRejected(case_id=case, club_id=A, decided_on=decided, reason="no")
        )
        await feed.publish(case, EntitlementCaseOpened(
            case_id=case, person_id=person, club_id=A, scheme=scheme, opened_on=opened,
            trigger="member_request",
        ), decision)  # fmt: skip


async def publish_all(feeds: dict[str, Feed]) -> None:
    await membership(feeds["membership"])
    await finance(feeds["finance"])
    await care(feeds["care"])
    await advocacy(feeds["advocacy"])
