"""Every extreme value of every command field, through the gateway into the running system.

The extremes come from the contracts (`ishc_runtime.testing.extremes`): for each command of
each service, each field (nested fields and list items too), the minimum and maximum, one
beyond each, the longest text and one longer, the largest list and one larger, the earliest
and latest date of its window and one day beyond. Each goes into a valid command (built
fresh, with whatever it needs, by `BUILDERS`) and is sent as a national admin. It must be

- refused with a problem that names the field (the contract: 422; or a business rule), or
- accepted, and then projected: once everything has been sent, every projection and reaction
  of every service, reporting included, has caught up with nothing parked and none stopped.

A command without a builder fails the test: a new command is covered the day it is added.
The services run on a fake clock frozen at the start, so "today" cannot change under a run.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from gateway.gateway_state import kebab
from ishc_contracts import Command, new_id
from ishc_contracts.bounds import MAX_AMOUNT, PLAN_DAYS_AHEAD, PROGRAMME_START, window_context
from ishc_contracts.catalogue import OWNERSHIP, SERVICE_COMMANDS
from ishc_contracts.ownership import Check
from ishc_runtime.clock import FakeClock
from ishc_runtime.testing.extremes import Clock, Extreme, extremes
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

from .conftest import running_system
from .harness import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

FROZEN = FakeClock(datetime.now(UTC).replace(microsecond=0))
CLOCK = Clock.of(window_context(FROZEN.now()))
TODAY = CLOCK.today
EARLIEST = PROGRAMME_START
MEMBERS = 30  # the pool finance and advocacy must know before the run
PROPAGATION = 60.0

Body = dict[str, Any]
CHECKED_IN_CLUB = (Check.REFS, Check.STREAMS)


def day(offset: int = 0) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def ids() -> str:
    return str(new_id())


@dataclass
class Member:
    member_id: str
    person_id: str
    full_name: str


@dataclass
class World:
    system: System
    admin: str
    club: str  # where most things happen
    members: list[Member]
    volunteers: list[str]
    approval: str  # meeting decisions finance knows (no subject: they cover any loan)
    write_off: str
    aid: str
    _next: itertools.count[int] = field(default_factory=itertools.count)

    def member(self) -> Member:
        """Round robin over the pool (a member may hold ten active loans here)."""
        return self.members[next(self._next) % len(self.members)]

    async def send(self, service: str, command: str, body: Body) -> httpx.Response:
        return await self.system.http.post(
            f"/v1/{service}/commands/{command}",
            json=body,
            headers={"Authorization": f"Bearer {self.admin}", "Idempotency-Key": ids()},
        )

    async def ok(self, service: str, command: str, body: Body) -> Body:
        response = await self.send(service, command, body)
        assert response.status_code == 201, f"{service}/{command}: {response.text}"
        return body


async def establish(w: World, founded_on: date = EARLIEST) -> str:
    club = ids()
    await w.ok(
        "membership",
        "establish-club",
        {
            "club_id": club,
            "name": "CLB Liên thế hệ tự giúp nhau",
            "admin_unit": "01:00070",
            "founded_on": founded_on.isoformat(),
            "meeting_day_of_month": 21,
        },
    )
    await w.ok(
        "membership",
        "adopt-charter",
        {"club_id": club, "charter_version": 1, "adopted_on": founded_on.isoformat()},
    )
    return club


async def admit(w: World, club: str, household_id: str | None = None) -> Member:
    member = Member(ids(), ids(), "Nguyễn Thị Lan")
    await w.ok(
        "membership",
        "admit-member",
        {
            "member_id": member.member_id,
            "club_id": club,
            "person_id": member.person_id,
            "household_id": household_id,
            "full_name": member.full_name,
            "sex": "female",
            "birth_date": "1950-05-01",
            "joined_on": EARLIEST.isoformat(),
        },
    )
    return member


async def decision(w: World, meeting: str, kind: str, amount: int | None = None) -> str:
    decision_id = ids()
    await w.ok(
        "membership",
        "record-decision",
        {
            "meeting_id": meeting,
            "decision_id": decision_id,
            "kind": kind,
            "summary": "Quyết định của cuộc họp",
            "amount": amount,
        },
    )
    return decision_id


async def meeting(w: World) -> str:
    meeting_id = ids()
    await w.ok(
        "membership",
        "hold-meeting",
        {"meeting_id": meeting_id, "club_id": w.club, "held_on": EARLIEST.isoformat()},
    )
    return meeting_id


# -- membership ---------------------------------------------------------------------------


async def establish_club(w: World) -> Body:
    return {
        "club_id": ids(),
        "name": "CLB mới",
        "admin_unit": "01:00070",
        "founded_on": day(),
    }


async def adopt_charter(w: World) -> Body:
    club = ids()
    await w.ok(
        "membership",
        "establish-club",
        {"club_id": club, "name": "CLB", "admin_unit": "01:00070", "founded_on": day(-1)},
    )
    return {"club_id": club, "charter_version": 1, "adopted_on": day()}


async def change_club_status(w: World) -> Body:
    return {"club_id": await establish(w), "status": "dormant", "changed_on": day()}


async def admit_member(w: World) -> Body:
    return {
        "member_id": ids(),
        "club_id": w.club,
        "person_id": ids(),
        "full_name": "Trần Văn Nam",
        "sex": "male",
        "joined_on": day(),
    }


async def record_member_exit(w: World) -> Body:
    m = await admit(w, w.club)
    return {"member_id": m.member_id, "person_id": m.person_id, "left_on": day(), "reason": "moved"}


async def update_member_profile(w: World) -> Body:
    m = await admit(w, w.club)
    return {"person_id": m.person_id, "full_name": "Nguyễn Thị Lan Anh"}


async def record_disability_assessment(w: World) -> Body:
    m = await admit(w, w.club)
    return {"person_id": m.person_id, "level": "mild", "assessed_on": day()}


async def record_poverty_certificate(w: World) -> Body:
    household = ids()
    await admit(w, w.club, household)
    return {
        "household_id": household,
        "club_id": w.club,
        "status": "poor",
        "standard": "2022-2025",
        "valid_from": day(),
    }


async def elect_board(w: World) -> Body:
    chair = await admit(w, w.club)
    return {
        "club_id": w.club,
        "board_term_id": ids(),
        "term_starts_on": day(),
        "seats": [{"member_id": chair.member_id, "role": "chair"}],
    }


async def hold_meeting(w: World) -> Body:
    return {"meeting_id": ids(), "club_id": w.club, "held_on": day()}


async def record_attendance(w: World) -> Body:
    return {"meeting_id": await meeting(w), "present": [w.member().member_id]}


async def record_membership_decision(w: World) -> Body:
    return {
        "meeting_id": await meeting(w),
        "decision_id": ids(),
        "kind": "other",
        "summary": "Tổ chức thăm hỏi",
    }


async def register_volunteer(w: World) -> Body:
    m = await admit(w, w.club)
    return {
        "volunteer_id": ids(),
        "club_id": w.club,
        "person_id": m.person_id,
        "member_id": m.member_id,
        "full_name": m.full_name,
        "registered_on": day(),
    }


async def record_consent(w: World) -> Body:
    m = w.member()
    return {
        "consent_id": ids(),
        "person_id": m.person_id,
        "club_id": w.club,
        "purpose": "health_data",
        "given_on": day(),
        "method": "written",
    }


async def withdraw_consent(w: World) -> Body:
    given = await record_consent(w)
    await w.ok("membership", "record-consent", {**given, "given_on": EARLIEST.isoformat()})
    return {
        "consent_id": given["consent_id"],
        "person_id": given["person_id"],
        "withdrawn_on": day(),
        "method": "written",
    }


# -- finance ------------------------------------------------------------------------------


async def capitalise_fund(w: World) -> Body:
    return {
        "club_id": w.club,
        "fund_type": "activity",
        "amount": 1_000_000,
        "source": "donation",
        "received_on": day(),
    }


async def record_membership_fee(w: World) -> Body:
    return {
        "club_id": w.club,
        "fee_id": ids(),
        "member_id": w.member().member_id,
        "amount": 50_000,
        "received_on": day(),
    }


async def define_loan_product(w: World) -> Body:
    # A club of its own each time: a version may not take effect before the current one.
    return {
        "club_id": await establish(w),
        "effective_from": day(),
        "purposes": ["livestock"],
        "min_principal": 1,
        "max_principal": MAX_AMOUNT,
        "term_months": 12,
        "interest_method": "flat",
        "monthly_interest_bp": 50,
    }


async def submit_loan_application(w: World) -> Body:
    return {
        "loan_id": ids(),
        "club_id": w.club,
        "member_id": w.member().member_id,
        "principal": 1_000_000,
        "purpose": "livestock",
        "applied_on": EARLIEST.isoformat(),
    }


async def applied_loan(w: World, application: Body | None = None) -> str:
    application = application or await submit_loan_application(w)
    return str((await w.ok("finance", "submit-loan-application", application))["loan_id"])


async def approved_loan(w: World, application: Body | None = None) -> str:
    loan = await applied_loan(w, application)
    await w.ok("finance", "approve-loan", await _approval(w, loan, EARLIEST))
    return loan


async def _approval(w: World, loan: str, on: date) -> Body:
    return {"loan_id": loan, "decision_id": w.approval, "approved_on": on.isoformat()}


async def disbursed_loan(w: World, application: Body | None = None) -> str:
    loan = await approved_loan(w, application)
    await w.ok("finance", "disburse-loan", {"loan_id": loan, "disbursed_on": day()})
    return loan


async def approve_loan(w: World) -> Body:
    return await _approval(w, await applied_loan(w), TODAY)


async def reject_loan_application(w: World) -> Body:
    return {"loan_id": await applied_loan(w), "rejected_on": day(), "reason": "Thiếu hồ sơ"}


async def disburse_loan(w: World) -> Body:
    return {"loan_id": await approved_loan(w), "disbursed_on": day()}


async def post_repayment(w: World) -> Body:
    return {
        "loan_id": await disbursed_loan(w),
        "repayment_id": ids(),
        "received_on": day(),
        "amount": 100_000,
    }


async def assess_arrears(w: World) -> Body:
    return {"loan_id": await disbursed_loan(w), "as_of": day()}


async def pause_delinquency(w: World) -> Body:
    return {
        "loan_id": await disbursed_loan(w),
        "starts_on": day(),
        "ends_on": (TODAY + timedelta(days=PLAN_DAYS_AHEAD)).isoformat(),
        "reason": "disaster",
    }


async def write_off_loan(w: World) -> Body:
    return {
        "loan_id": await disbursed_loan(w),
        "decision_id": w.write_off,
        "written_off_on": day(),
        "reason": "uncollectable",
    }


async def open_deceased_borrower_case(w: World) -> Body:
    # The borrower comes from the application sent, not from the loan's read model, which
    # may not have caught up yet.
    application = await submit_loan_application(w)
    loan = await disbursed_loan(w, application)
    return {"loan_id": loan, "member_id": application["member_id"], "died_on": day()}


async def grant_mutual_aid(w: World) -> Body:
    return {
        "club_id": w.club,
        "grant_id": ids(),
        "member_id": w.member().member_id,
        "amount": 100_000,
        "reason": "illness",
        "granted_on": day(),
        "decision_id": w.aid,
    }


async def reschedule_loan(w: World) -> Body:
    return {
        "loan_id": await disbursed_loan(w),
        "rescheduled_on": day(),
        "term_months": 6,
        "reason": "Hạn hán",
    }


async def post_recovery(w: World) -> Body:
    written_off = await write_off_loan(w)
    await w.ok("finance", "write-off-loan", written_off)
    return {
        "loan_id": written_off["loan_id"],
        "recovery_id": ids(),
        "amount": 100_000,
        "received_on": day(),
    }


async def lend_in_kind_asset(w: World) -> Body:
    return {
        "asset_id": ids(),
        "club_id": w.club,
        "member_id": w.member().member_id,
        "asset_type": "cow",
        "value": 15_000_000,
        "lent_on": EARLIEST.isoformat(),
        "pass_on_due": day(365),
    }


async def pass_on_asset(w: World) -> Body:
    lent = await w.ok("finance", "lend-in-kind-asset", await lend_in_kind_asset(w))
    return {
        "asset_id": lent["asset_id"],
        "to_member_id": w.member().member_id,
        "next_asset_id": ids(),
        "passed_on": day(),
        "next_pass_on_due": day(365),
    }


async def check_pass_on(w: World) -> Body:
    lent = await w.ok("finance", "lend-in-kind-asset", await lend_in_kind_asset(w))
    return {"asset_id": lent["asset_id"], "as_of": day()}


async def close_books(w: World) -> Body:
    # A club of its own: closing a month refuses later postings dated in it.
    return {"club_id": await establish(w), "month": day()}


# -- care ---------------------------------------------------------------------------------


async def refer_for_care(w: World) -> Body:
    m = w.member()
    return {
        "case_id": ids(),
        "club_id": w.club,
        "person_id": m.person_id,
        "member_id": m.member_id,
        "full_name": m.full_name,
        "referred_on": EARLIEST.isoformat(),
        "referred_by": "club_board",
    }


async def referred_case(w: World) -> str:
    return str((await w.ok("care", "refer-for-care", await refer_for_care(w)))["case_id"])


async def assessed_case(w: World) -> str:
    case = await referred_case(w)
    await w.ok("care", "assess-needs", await _assessment(case, EARLIEST))
    return case


async def _assessment(case: str, on: date) -> Body:
    return {"case_id": case, "assessed_on": on.isoformat(), "assessed_by": "club_board"}


async def planned_case(w: World) -> str:
    case = await assessed_case(w)
    await w.ok("care", "open-care-plan", {"case_id": case, "plan_id": ids(), "starts_on": day(-14)})
    return case


async def staffed_case(w: World) -> str:
    case = await planned_case(w)
    await w.ok(
        "care",
        "assign-volunteers",
        {"case_id": case, "volunteer_ids": w.volunteers[:1], "assigned_on": day(-14)},
    )
    return case


async def assess_needs(w: World) -> Body:
    return await _assessment(await referred_case(w), TODAY)


async def open_care_plan(w: World) -> Body:
    return {"case_id": await assessed_case(w), "plan_id": ids(), "starts_on": day()}


async def assign_volunteers(w: World) -> Body:
    return {
        "case_id": await planned_case(w),
        "volunteer_ids": w.volunteers[:1],
        "assigned_on": day(),
    }


async def flag_volunteer_left(w: World) -> Body:
    return {"case_id": await staffed_case(w), "volunteer_id": w.volunteers[0], "left_on": day()}


async def record_visit(w: World) -> Body:
    return {
        "visit_id": ids(),
        "case_id": await staffed_case(w),
        "volunteer_ids": w.volunteers[:1],
        "visited_on": day(),
    }


async def record_missed_visit(w: World) -> Body:
    return {"visit_id": ids(), "case_id": await staffed_case(w), "due_on": day(), "reason": "other"}


async def close_care_week(w: World) -> Body:
    year, week, _ = (TODAY - timedelta(days=7)).isocalendar()
    return {"case_id": await staffed_case(w), "iso_year": year, "iso_week": week}


async def suspend_care(w: World) -> Body:
    return {"case_id": await staffed_case(w), "suspended_on": day()}


async def resume_care(w: World) -> Body:
    case = await staffed_case(w)
    await w.ok("care", "suspend-care", {"case_id": case, "suspended_on": day(-7)})
    return {"case_id": case, "resumed_on": day()}


async def close_case(w: World) -> Body:
    return {"case_id": await staffed_case(w), "closed_on": day(), "reason": "recovered"}


async def record_health_check(w: World) -> Body:
    m = w.member()
    return {"check_id": ids(), "club_id": w.club, "person_id": m.person_id, "checked_on": day()}


# -- advocacy -----------------------------------------------------------------------------


async def screen_eligibility(w: World) -> Body:
    return {
        "screening_id": ids(),
        "person_id": w.member().person_id,
        "scheme": "social_pension",
        "as_of": day(),
    }


async def record_benefit_facts(w: World) -> Body:
    return {"person_id": w.member().person_id, "club_id": w.club, "recorded_on": day()}


async def open_entitlement_case(w: World) -> Body:
    return {
        "case_id": ids(),
        "person_id": w.member().person_id,
        "club_id": w.club,
        "scheme": "social_pension",
        "opened_on": EARLIEST.isoformat(),
    }


async def opened_claim(w: World) -> str:
    return str(
        (await w.ok("advocacy", "open-entitlement-case", await open_entitlement_case(w)))["case_id"]
    )


async def ready_claim(w: World) -> str:
    case = await opened_claim(w)
    await w.ok(
        "advocacy", "mark-documents-ready", {"case_id": case, "ready_on": EARLIEST.isoformat()}
    )
    return case


async def submitted_claim(w: World) -> str:
    case = await ready_claim(w)
    await w.ok("advocacy", "record-submission", await _submission(case, EARLIEST))
    return case


async def _submission(case: str, on: date) -> Body:
    return {"case_id": case, "submitted_on": on.isoformat(), "office": "79:26734"}


async def _decided(w: World, outcome: str) -> str:
    case = await submitted_claim(w)
    body = await _decision(case, outcome, EARLIEST)
    await w.ok("advocacy", "record-decision", body)
    return case


async def _decision(case: str, outcome: str, on: date) -> Body:
    if outcome == "rejected":
        return {
            "case_id": case,
            "decided_on": on.isoformat(),
            "outcome": outcome,
            "reason": "Thiếu",
        }
    return {
        "case_id": case,
        "decided_on": on.isoformat(),
        "outcome": outcome,
        "monthly_amount": 500_000,
        "payable_from": on.isoformat(),
    }


async def mark_documents_ready(w: World) -> Body:
    return {"case_id": await opened_claim(w), "ready_on": day()}


async def record_submission(w: World) -> Body:
    return await _submission(await ready_claim(w), TODAY)


async def check_submission_deadline(w: World) -> Body:
    return {"case_id": await submitted_claim(w), "as_of": day()}


async def record_advocacy_decision(w: World) -> Body:
    return await _decision(await submitted_claim(w), "approved", TODAY)


async def file_appeal(w: World) -> Body:
    return {"case_id": await _decided(w, "rejected"), "filed_on": day(), "grounds": "Đủ điều kiện"}


async def confirm_payment(w: World) -> Body:
    return {
        "case_id": await _decided(w, "approved"),
        "payment_id": ids(),
        "paid_on": day(),
        "amount": 500_000,
    }


async def close_entitlement_case(w: World) -> Body:
    return {"case_id": await opened_claim(w), "closed_on": day(), "reason": "withdrawn"}


async def raise_issue(w: World) -> Body:
    return {"issue_id": ids(), "club_id": w.club, "topic": "Đường vào xóm", "raised_on": day()}


async def raised_issue(w: World) -> str:
    body = await raise_issue(w)
    await w.ok("advocacy", "raise-issue", {**body, "raised_on": EARLIEST.isoformat()})
    return str(body["issue_id"])


async def submit_petition(w: World) -> Body:
    return {
        "issue_id": await raised_issue(w),
        "petition_id": ids(),
        "authority": "ubnd-xa",
        "submitted_on": day(),
    }


async def record_authority_response(w: World) -> Body:
    petition = await submit_petition(w)
    await w.ok("advocacy", "submit-petition", {**petition, "submitted_on": EARLIEST.isoformat()})
    return {
        "issue_id": petition["issue_id"],
        "petition_id": petition["petition_id"],
        "responded_on": day(),
        "outcome": "accepted",
    }


async def record_awareness_session(w: World) -> Body:
    return {"session_id": ids(), "club_id": w.club, "topic": "rights", "held_on": day()}


Builder = Callable[[World], Awaitable[Body]]

BUILDERS: dict[tuple[str, str], Builder] = {
    ("membership", "EstablishClub"): establish_club,
    ("membership", "AdoptCharter"): adopt_charter,
    ("membership", "ChangeClubStatus"): change_club_status,
    ("membership", "AdmitMember"): admit_member,
    ("membership", "RecordMemberExit"): record_member_exit,
    ("membership", "UpdateMemberProfile"): update_member_profile,
    ("membership", "RecordDisabilityAssessment"): record_disability_assessment,
    ("membership", "RecordPovertyCertificate"): record_poverty_certificate,
    ("membership", "ElectBoard"): elect_board,
    ("membership", "HoldMeeting"): hold_meeting,
    ("membership", "RecordAttendance"): record_attendance,
    ("membership", "RecordDecision"): record_membership_decision,
    ("membership", "RegisterVolunteer"): register_volunteer,
    ("membership", "RecordConsent"): record_consent,
    ("membership", "WithdrawConsent"): withdraw_consent,
    ("finance", "CapitaliseFund"): capitalise_fund,
    ("finance", "RecordMembershipFee"): record_membership_fee,
    ("finance", "DefineLoanProduct"): define_loan_product,
    ("finance", "SubmitLoanApplication"): submit_loan_application,
    ("finance", "ApproveLoan"): approve_loan,
    ("finance", "RejectLoanApplication"): reject_loan_application,
    ("finance", "DisburseLoan"): disburse_loan,
    ("finance", "PostRepayment"): post_repayment,
    ("finance", "AssessArrears"): assess_arrears,
    ("finance", "PauseDelinquency"): pause_delinquency,
    ("finance", "WriteOffLoan"): write_off_loan,
    ("finance", "OpenDeceasedBorrowerCase"): open_deceased_borrower_case,
    ("finance", "GrantMutualAid"): grant_mutual_aid,
    ("finance", "RescheduleLoan"): reschedule_loan,
    ("finance", "PostRecovery"): post_recovery,
    ("finance", "LendInKindAsset"): lend_in_kind_asset,
    ("finance", "PassOnAsset"): pass_on_asset,
    ("finance", "CheckPassOn"): check_pass_on,
    ("finance", "CloseBooks"): close_books,
    ("care", "ReferForCare"): refer_for_care,
    ("care", "AssessNeeds"): assess_needs,
    ("care", "OpenCarePlan"): open_care_plan,
    ("care", "AssignVolunteers"): assign_volunteers,
    ("care", "FlagVolunteerLeft"): flag_volunteer_left,
    ("care", "RecordVisit"): record_visit,
    ("care", "RecordMissedVisit"): record_missed_visit,
    ("care", "CloseCareWeek"): close_care_week,
    ("care", "SuspendCare"): suspend_care,
    ("care", "ResumeCare"): resume_care,
    ("care", "CloseCase"): close_case,
    ("care", "RecordHealthCheck"): record_health_check,
    ("advocacy", "ScreenEligibility"): screen_eligibility,
    ("advocacy", "RecordBenefitFacts"): record_benefit_facts,
    ("advocacy", "OpenEntitlementCase"): open_entitlement_case,
    ("advocacy", "MarkDocumentsReady"): mark_documents_ready,
    ("advocacy", "RecordSubmission"): record_submission,
    ("advocacy", "CheckSubmissionDeadline"): check_submission_deadline,
    ("advocacy", "RecordDecision"): record_advocacy_decision,
    ("advocacy", "FileAppeal"): file_appeal,
    ("advocacy", "ConfirmPayment"): confirm_payment,
    ("advocacy", "CloseEntitlementCase"): close_entitlement_case,
    ("advocacy", "RaiseIssue"): raise_issue,
    ("advocacy", "SubmitPetition"): submit_petition,
    ("advocacy", "RecordAuthorityResponse"): record_authority_response,
    ("advocacy", "RecordAwarenessSession"): record_awareness_session,
}

CONSENTED = ("health_data", "share_with_commune")
COMMANDS = [(service, model) for service, models in SERVICE_COMMANDS.items() for model in models]


# -- the world ----------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def frozen_system(infrastructure: Infrastructure) -> AsyncIterator[System]:
    async with running_system(infrastructure, clock=FROZEN, prefix="extremes") as system:
        yield system


async def known(system: System, service: str, sql: str, count: int) -> None:
    pool = system.services[service].context.pool

    async def enough() -> bool:
        return int(await pool.fetchval(sql)) >= count

    await wait_until(enough, timeout=PROPAGATION, interval=0.2, message=f"{service}: {sql}")


async def furnished_club(
    system: System, admin: str, purposes: list[str], capital_rounds: tuple[int, int]
) -> World:
    """A club with members, two volunteers, the three kinds of meeting decision, a loan
    product for `purposes` and funds capitalised `capital_rounds` times (income generation,
    mutual aid) with 2 billion VND each: every command has something to act on."""
    w = World(system, admin, "", [], [], "", "", "")
    w.club = await establish(w)
    w.members = [await admit(w, w.club) for _ in range(MEMBERS)]
    for m in w.members[:2]:
        volunteer = ids()
        await w.ok(
            "membership",
            "register-volunteer",
            {
                "volunteer_id": volunteer,
                "club_id": w.club,
                "person_id": m.person_id,
                "member_id": m.member_id,
                "full_name": m.full_name,
                "registered_on": EARLIEST.isoformat(),
            },
        )
        w.volunteers.append(volunteer)
    # Health follow-up and sharing with commune offices need the person's consent
    # (ishc_runtime.consent): every member gave both from the start.
    for m in w.members:
        for purpose in CONSENTED:
            await w.ok(
                "membership",
                "record-consent",
                {
                    "consent_id": ids(),
                    "person_id": m.person_id,
                    "club_id": w.club,
                    "purpose": purpose,
                    "given_on": EARLIEST.isoformat(),
                    "method": "written",
                },
            )
    held = await meeting(w)
    w.approval = await decision(w, held, "loan_approval", MAX_AMOUNT)
    w.write_off = await decision(w, held, "loan_write_off", MAX_AMOUNT)
    w.aid = await decision(w, held, "mutual_aid_grant", MAX_AMOUNT)
    await w.ok(
        "finance",
        "define-loan-product",
        {
            "club_id": w.club,
            "effective_from": EARLIEST.isoformat(),
            "purposes": purposes,
            "min_principal": 1,
            "max_principal": MAX_AMOUNT,
            "term_months": 12,
            "interest_method": "flat",
            "monthly_interest_bp": 50,
            "max_active_loans_per_member": 10,
        },
    )
    for fund_type, times in zip(("income_generation", "mutual_aid"), capital_rounds, strict=True):
        for _ in range(times):
            await w.ok(
                "finance",
                "capitalise-fund",
                {
                    "club_id": w.club,
                    "fund_type": fund_type,
                    "amount": 2_000_000_000,
                    "source": "project",
                    "received_on": EARLIEST.isoformat(),
                },
            )
    return w


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(frozen_system: System) -> World:
    admin = await frozen_system.token(user="admin")
    # The main club lends anything the contract allows, ten loans a member at a time.
    w = await furnished_club(
        frozen_system, admin, ["livestock", "crops", "small_business", "other"], (20, 3)
    )
    await known(frozen_system, "finance", "SELECT count(*) FROM finance_members", MEMBERS)
    await known(frozen_system, "finance", "SELECT count(*) FROM finance_decisions", 3)
    await known(frozen_system, "advocacy", "SELECT count(*) FROM advocacy_people", MEMBERS)
    await known(frozen_system, "care", "SELECT count(*) FROM consents", MEMBERS * len(CONSENTED))
    return w


# -- the test -----------------------------------------------------------------------------


def names(response: httpx.Response) -> list[str]:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return []
    return [str(e.get("field")) for e in response.json().get("errors", [])]


def names_club_objects(service: str, model: type[Command], extreme: Extreme) -> bool:
    """Whether `extreme` fills a field the command's ownership declaration checks against
    the acting club: its generated ids name nothing there, so the uniform 404 (which names
    nothing, by design: issue #18) is the right refusal."""
    owned = OWNERSHIP.get((service, model.__name__))
    top = str(extreme.path[0])
    return owned is not None and any(
        path.split(".")[0].removesuffix("[]") == top and ref.check in CHECKED_IN_CLUB
        for path, ref in owned.fields.items()
    )


def verdict(
    extreme: Extreme, response: httpx.Response, *, names_club_objects: bool = False
) -> str | None:
    """None when the system did the right thing with `extreme`, else what it did."""
    status = response.status_code
    named = names(response)
    names_it = any(extreme.names(f) for f in named)
    if status >= 500:
        return f"{status} {response.text[:300]}"
    if not extreme.allowed:
        if status == 422 and names_it:
            return None
        return f"not refused naming the field: {status} {named} {response.text[:300]}"
    if status in (200, 201) or names_it:
        return None
    if (
        names_club_objects
        and status == 404
        and response.json().get("type", "").endswith("/not-found")
    ):
        return None
    return f"refused naming {named}: {status} {response.text[:300]}"


def test_every_command_has_a_builder() -> None:
    missing = [f"{s}.{m.__name__}" for s, m in COMMANDS if (s, m.__name__) not in BUILDERS]
    assert missing == []


async def test_every_extreme_is_refused_naming_its_field_or_accepted_and_projected(
    world: World, frozen_system: System
) -> None:
    wrong: list[str] = []
    accepted = 0
    for service, model in COMMANDS:
        build = BUILDERS[(service, model.__name__)]
        name = kebab(model.__name__)
        refused_base = await build(world)  # refused extremes are refused before any rule
        for extreme in extremes(model, CLOCK):
            base = await build(world) if extreme.allowed else refused_base
            response = await world.send(service, name, extreme.apply(base))
            accepted += response.status_code in (200, 201)
            problem = verdict(
                extreme,
                response,
                names_club_objects=names_club_objects(service, model, extreme),
            )
            if problem is not None:
                wrong.append(
                    f"{service}.{model.__name__} {extreme.field} {extreme.label}: {problem}"
                )
    assert wrong == [], "\n".join(wrong)
    assert accepted > 100  # the run exercised the projections, not only the refusals
    await every_projection_running(frozen_system, world.admin)


async def every_projection_running(system: System, admin: str) -> None:
    """Every projection and reaction of every service caught up, none stopped, none parked."""
    seen: list[dict[str, Any]] = []

    async def all_caught_up() -> bool:
        answer = await system.http.get(
            "/v1/ops/projections", headers={"Authorization": f"Bearer {admin}"}
        )
        assert answer.status_code == 200, answer.text
        seen[:] = [
            {**row, "service": entry["service"]}
            for entry in answer.json()["services"]
            for row in entry["projections"]
        ]
        assert all(entry["available"] for entry in answer.json()["services"]), answer.text
        bad = [r for r in seen if r["parked"] or r["blocking"] or r["state"] == "stopped"]
        assert bad == [], bad
        return all(r["state"] == "caught up" for r in seen)

    await wait_until(all_caught_up, timeout=PROPAGATION, interval=0.5, message=str(seen))
    assert {r["service"] for r in seen} >= {
        "membership",
        "finance",
        "care",
        "advocacy",
        "reporting",
    }


async def test_a_refused_command_leaves_every_projection_running(
    world: World, frozen_system: System
) -> None:
    """The fee that froze every club's ledger (2^63 VND) is refused naming the amount; the
    projections keep running, and the next honest fee reaches the fund statement."""
    await every_projection_running(frozen_system, world.admin)
    before = await activity_inflow(world)
    fee = await record_membership_fee(world)
    refused = await world.send("finance", "record-membership-fee", {**fee, "amount": 2**63})
    assert refused.status_code == 422, refused.text
    assert names(refused) == ["amount"]
    # Past the gateway too: the service refuses what the gateway lets through.
    late = await world.send(
        "finance", "record-membership-fee", {**fee, "received_on": "9999-12-31"}
    )
    assert late.status_code == 422, late.text
    assert names(late) == ["received_on"]
    await every_projection_running(frozen_system, world.admin)

    honest = await world.send("finance", "record-membership-fee", {**fee, "amount": 77_000})
    assert honest.status_code == 201, honest.text

    async def counted() -> bool:
        return await activity_inflow(world) == before + 77_000

    await wait_until(counted, timeout=PROPAGATION, interval=0.2, message="the fee never showed")
    await every_projection_running(frozen_system, world.admin)


async def activity_inflow(w: World) -> int:
    """This month's inflow into the main club's activity fund, from the fund statement."""
    answer = await w.system.query(w.admin, "finance", "fund-statement", club_id=w.club)
    assert answer.status_code == 200, answer.text
    month = TODAY.replace(day=1).isoformat()
    return sum(
        int(row["inflow"])
        for row in answer.json()["data"]["months"]
        if row["fund_type"] == "activity" and str(row["month"]) == month
    )


async def test_query_dates_outside_their_window_are_refused_naming_the_field(
    world: World, frozen_system: System
) -> None:
    for service, query, params, field_name in (
        ("care", "week-board", {"club_id": world.club, "on": "9999-12-27"}, "on"),
        ("care", "volunteer-workload", {"club_id": world.club, "on": "0001-01-01"}, "on"),
        ("membership", "club-roster", {"club_id": world.club, "as_of": "9999-12-31"}, "as_of"),
        (
            "finance",
            "portfolio-indicators",
            {"club_id": world.club, "as_of": "9999-12-31"},
            "as_of",
        ),
    ):
        answer = await frozen_system.query(world.admin, service, query, **params)
        assert answer.status_code == 422, f"{query}: {answer.text}"
        assert names(answer) == [field_name], answer.text
    fine = await frozen_system.query(
        world.admin, "care", "week-board", club_id=world.club, on=day()
    )
    assert fine.status_code == 200, fine.text
