"""One club's life, decided by the services' real domain code (decide + evolve), in date order.

Each action is a command the club would send (establish, admit, hold a meeting, apply for a
loan, repay, visit, claim ...). The domain functions are called the way the services'
handlers call them, with the cross-stream facts the handlers would load; what they decide is
folded into in-memory streams (`Book`) and later appended in bulk.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from uuid import UUID

from advocacy.application import aggregates as advocacy_aggregates
from advocacy.domain import case as claim
from advocacy.domain.policy_table import TABLE
from advocacy.reference.calendar import calendar_around
from care.application.aggregates import CASE as CARE_CASE
from care.application.aggregates import HEALTH_CHECK
from care.domain import health, lifecycle, visits
from care.domain.weeks import monday, week_of
from finance.application.aggregates import BORROWER, FUND, LOAN
from finance.domain import borrower, fund, loan, repayment, servicing
from finance.domain.loan import DecisionFact, MemberFact
from finance.domain.rules import DEFAULT_PRODUCT
from ishc_contracts import Event
from ishc_contracts.advocacy import commands as ac
from ishc_contracts.care import commands as cc
from ishc_contracts.finance import commands as fc
from ishc_contracts.finance.events import (
    FundCapitalised,
    InterestAllocatedToActivityFund,
    LoanPrincipalReturned,
    LoanRepaid,
    MembershipFeeReceived,
    MutualAidGranted,
)
from ishc_contracts.finance.ids import fund_id_for
from ishc_contracts.membership import commands as mc
from ishc_contracts.reference import reference
from ishc_simulator.book import Book
from ishc_simulator.world import ClubPlan, Params, Profile, uid
from membership.application.aggregates import CLUB, HOUSEHOLD, MEETING, MEMBER, VOLUNTEER
from membership.domain import club, household, meeting, member, volunteer
from membership.domain.rules import ACTIVITY_AREAS

ADVOCACY_CASE = advocacy_aggregates.CASE
SCHEMES = ("social_pension", "health_insurance", "social_allowance_elderly", "funeral_support")
FEE = 60_000
VOLUNTEERS = 6


@dataclass
class _Member:
    member_id: UUID
    person_id: UUID
    name: str
    profile: Profile
    joined_on: date
    loan: UUID | None = None


@dataclass
class ClubLife:
    plan: ClubPlan
    params: Params
    rng: random.Random
    books: dict[str, Book]
    club_id: UUID = field(init=False)
    members: list[_Member] = field(default_factory=list)
    volunteers: list[UUID] = field(default_factory=list)
    meeting_day: int = 15
    _agenda: list[tuple[date, int, Callable[[date], None]]] = field(default_factory=list)
    _n: int = 0

    def __post_init__(self) -> None:
        self.club_id = uid(self.rng)
        self.today = self.params.end
        self.now = datetime.combine(self.today + timedelta(days=1), time(12), tzinfo=UTC)
        self.ig_fund = fund_id_for(self.club_id, "income_generation")
        self.activity_fund = fund_id_for(self.club_id, "activity")

    # -- plumbing --------------------------------------------------------------------------

    def on(self, day: date, action: Callable[[date], None]) -> None:
        if day <= self.today:
            self._n += 1
            heapq.heappush(self._agenda, (day, self._n, action))

    def run(self) -> None:
        self.found()
        while self._agenda:
            day, _, action = heapq.heappop(self._agenda)
            action(day)

    def has(self, service: str) -> bool:
        return service in self.books

    @property
    def club(self) -> club.Club:
        state: club.Club = self.books["membership"].state(CLUB, self.club_id)
        return state

    # -- membership ------------------------------------------------------------------------

    def found(self) -> None:
        plan, m = self.plan, self.books["membership"]
        founded = plan.founded_on
        self.meeting_day = self.rng.randint(1, 28)
        areas = tuple(sorted(ACTIVITY_AREAS))
        if self.rng.random() < 0.3:  # some clubs run fewer activities
            areas = areas[: self.rng.randint(4, 7)]
        establish = mc.EstablishClub(
            club_id=self.club_id,
            name=plan.name,
            legacy_address=plan.address,
            founded_on=founded,
            founding_project="de_an_1336",
            activity_areas=areas,
            meeting_day_of_month=self.meeting_day,
        )
        m.decide(
            CLUB, self.club_id, lambda s: club.establish_club(s, establish, plan.units, self.today)
        )
        charter = mc.AdoptCharter(
            club_id=self.club_id, charter_version=1, adopted_on=founded,
            meeting_day_of_month=self.meeting_day,
        )  # fmt: skip
        m.decide(CLUB, self.club_id, lambda s: club.adopt_charter(s, charter, self.today))
        for n, profile in enumerate(plan.profiles):
            joined = min(founded + timedelta(days=self.rng.randint(0, 180)), self.today)
            self.on(joined, partial(self.admit, n=n, p=profile))
        if self.has("finance"):
            self.on(founded, self.capitalise)
        self.on(self._meeting_date(founded.year, founded.month, after=founded), self.hold_meeting)
        if self.has("care"):
            self.on(founded + timedelta(days=200), self.register_volunteers)
            self.on(founded + timedelta(days=240), self.start_care)
        if self.has("advocacy"):
            self.on(founded + timedelta(days=self.rng.randint(90, 365)), self.claim)

    def admit(self, day: date, n: int, p: Profile) -> None:
        m, club_state = self.books["membership"], self.club
        person_id, member_id = uid(self.rng), uid(self.rng)
        household_id = uid(self.rng)
        name = f"Hội viên {n + 1}"
        cmd = mc.AdmitMember(
            member_id=member_id, club_id=self.club_id, person_id=person_id,
            household_id=household_id, full_name=name, sex=p.sex, birth_date=p.birth_date,
            joined_on=day, womens_union_member=p.womens_union,
        )  # fmt: skip
        m.decide(MEMBER, person_id, lambda s: member.admit_member(club_state, s, cmd, self.today))
        if p.poor:
            cert = mc.RecordPovertyCertificate(
                household_id=household_id, club_id=self.club_id, status="poor",
                standard=poverty_standard_on(day), valid_from=day, person_ids=(person_id,),
            )  # fmt: skip
            m.decide(
                HOUSEHOLD,
                household_id,
                lambda s: household.record_poverty_certificate(club_state, s, cert),
            )
        if p.disability:
            assessed = mc.RecordDisabilityAssessment(
                person_id=person_id, level="mild", assessed_on=day
            )
            m.decide(MEMBER, person_id, lambda s: member.record_disability(s, assessed, self.today))
        self.members.append(_Member(member_id, person_id, name, p, day))

    def _meeting_date(self, year: int, month: int, after: date | None = None) -> date:
        day = date(year, month, self.meeting_day)
        if after is not None and day < after:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            day = date(year, month, self.meeting_day)
        return day

    def hold_meeting(self, day: date) -> None:
        m, club_state = self.books["membership"], self.club
        meeting_id = uid(self.rng)
        cmd = mc.HoldMeeting(meeting_id=meeting_id, club_id=self.club_id, held_on=day)
        m.decide(
            MEETING, meeting_id, lambda s: meeting.hold_meeting(club_state, s, cmd, self.today)
        )
        if self.has("finance"):
            self.monthly_finance(day, meeting_id)
        if self.has("care") and day.month == 10:  # the autumn check-up campaign
            self.health_checks(day)
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        self.on(self._meeting_date(year, month), self.hold_meeting)

    def register_volunteers(self, day: date) -> None:
        m, club_state = self.books["membership"], self.club
        younger = [x for x in self.members if x.joined_on <= day] or self.members
        for x in younger[:VOLUNTEERS]:
            volunteer_id = uid(self.rng)
            cmd = mc.RegisterVolunteer(
                volunteer_id=volunteer_id, club_id=self.club_id, person_id=x.person_id,
                member_id=x.member_id, full_name=x.name, registered_on=day,
            )  # fmt: skip
            m.decide(
                VOLUNTEER,
                volunteer_id,
                partial(volunteer.register_volunteer, club_state, cmd=cmd, today=self.today),
            )
            self.volunteers.append(volunteer_id)

    # -- finance ---------------------------------------------------------------------------

    def _fund(self, fund_id: UUID, event: Event) -> None:
        f = self.books["finance"]
        if isinstance(event, FundCapitalised):
            f.decide(FUND, fund_id, lambda s: fund.capitalise(s, event))
        elif isinstance(event, MembershipFeeReceived):
            f.decide(FUND, fund_id, lambda s: fund.receive_fee(s, event))
        elif isinstance(event, MutualAidGranted):
            f.decide(FUND, fund_id, lambda s: fund.grant_aid(s, event))
        elif isinstance(event, LoanPrincipalReturned | InterestAllocatedToActivityFund):
            f.decide(FUND, fund_id, lambda s: fund.receive(s, event))

    def capitalise(self, day: date) -> None:
        ig = self.rng.randint(20, 60) * 1_000_000
        for fund_id, fund_type, amount, source in (
            (self.ig_fund, "income_generation", ig, "project"),
            (self.activity_fund, "activity", self.rng.randint(1, 3) * 1_000_000, "donation"),
        ):
            self._fund(
                fund_id,
                FundCapitalised(
                    fund_id=fund_id, club_id=self.club_id, fund_type=fund_type, amount=amount,
                    source=source, received_on=day,
                ),
            )  # fmt: skip

    def monthly_finance(self, day: date, meeting_id: UUID) -> None:
        active = [x for x in self.members if x.joined_on <= day]
        if day.month == 1 or (
            day.month == self.plan.founded_on.month and day.year == self.plan.founded_on.year
        ):
            for x in active:
                self._fund(
                    self.activity_fund,
                    MembershipFeeReceived(
                        fund_id=self.activity_fund, club_id=self.club_id, fee_id=uid(self.rng),
                        member_id=x.member_id, amount=FEE, received_on=day, period=str(day.year),
                    ),
                )  # fmt: skip
            if self.rng.random() < 0.5:  # local fundraising
                self._fund(
                    self.activity_fund,
                    FundCapitalised(
                        fund_id=self.activity_fund, club_id=self.club_id, fund_type="activity",
                        amount=self.rng.randint(1, 4) * 500_000, source="donation",
                        received_on=day,
                    ),
                )  # fmt: skip
        if active and self.rng.random() < 2 / 12:
            self.mutual_aid(day, self.rng.choice(active))
        expected = len(active) * self.params.borrowers_per_year / 12
        count = int(expected) + (1 if self.rng.random() < expected % 1 else 0)
        free = [x for x in active if x.loan is None]
        for x in self.rng.sample(free, min(count, len(free))):
            self.lend(day, meeting_id, x)

    def mutual_aid(self, day: date, x: _Member) -> None:
        state: fund.Fund = self.books["finance"].state(FUND, self.activity_fund)
        amount = self.rng.randint(1, 4) * 250_000
        if state.cash >= amount:
            self._fund(
                self.activity_fund,
                MutualAidGranted(
                    fund_id=self.activity_fund, club_id=self.club_id, grant_id=uid(self.rng),
                    member_id=x.member_id, amount=amount, reason="illness", granted_on=day,
                ),
            )  # fmt: skip

    def lend(self, day: date, meeting_id: UUID, x: _Member) -> None:
        m, f = self.books["membership"], self.books["finance"]
        principal = self.rng.randint(6, 20) * 500_000
        cash: fund.Fund = f.state(FUND, self.ig_fund)
        if cash.cash < principal:
            return
        loan_id, decision_id = uid(self.rng), uid(self.rng)
        decide = mc.RecordDecision(
            meeting_id=meeting_id, decision_id=decision_id, kind="loan_approval",
            summary="Cho vay vốn quỹ tăng thu nhập", subject_id=loan_id,
            member_id=x.member_id, amount=principal,
        )  # fmt: skip
        m.decide(MEETING, meeting_id, lambda s: meeting.record_decision(s, decide))
        apply = fc.SubmitLoanApplication(
            loan_id=loan_id, club_id=self.club_id, member_id=x.member_id, principal=principal,
            purpose=self.rng.choice(DEFAULT_PRODUCT.purposes), applied_on=day,
        )  # fmt: skip
        fact = MemberFact(club_id=self.club_id, active=True)
        f.decide(LOAN, loan_id, lambda s: loan.apply(s, apply, fact, 0, DEFAULT_PRODUCT))
        f.record(BORROWER, x.member_id, borrower.open_loan(x.member_id, self.club_id, loan_id, day))
        approve = fc.ApproveLoan(loan_id=loan_id, decision_id=decision_id, approved_on=day)
        decision = DecisionFact(meeting_id, self.club_id, "loan_approval", loan_id)
        f.decide(LOAN, loan_id, lambda s: loan.approve(s, approve, decision, DEFAULT_PRODUCT))
        f.decide(LOAN, loan_id, lambda s: loan.issue(s, loan_id, day, self.meeting_day))
        f.decide(
            FUND,
            self.ig_fund,
            lambda s: fund.disburse(
                s, self.ig_fund, self.club_id, loan_id, x.member_id, principal, day
            ),
        )
        x.loan = loan_id
        late = self.rng.random() < self.params.late_loan_share
        state: loan.Loan = f.state(LOAN, loan_id)
        for item in state.schedule:
            if item.number % 3 == 0 or item.number == len(state.schedule):
                pay_on = item.due_on + timedelta(days=45 if late else 0)
                self.on(
                    pay_on,
                    partial(self.repay, loan_id=loan_id, through=item.number, x=x, late=late),
                )

    def repay(self, day: date, loan_id: UUID, through: int, x: _Member, late: bool) -> None:
        f = self.books["finance"]
        state: loan.Loan = f.state(LOAN, loan_id)
        if state.status != "active":
            return
        if late:
            f.decide(LOAN, loan_id, lambda s: servicing.assess_arrears(s, loan_id, day))
        due = sum(i.principal + i.interest for i in state.schedule if i.number <= through)
        amount = due - state.paid
        if amount <= 0:
            return
        cmd = fc.PostRepayment(
            loan_id=loan_id, repayment_id=uid(self.rng), received_on=day, amount=amount
        )
        # The service's own decision across its streams, so the two cannot drift apart.
        decided = repayment.repay(
            f.state(LOAN, loan_id),  # with the arrears just assessed
            f.state(FUND, self.ig_fund),
            f.state(FUND, self.activity_fund),
            f.state(BORROWER, x.member_id),
            cmd,
            day,
        )
        f.record(LOAN, loan_id, decided.loan)
        f.record(FUND, self.ig_fund, decided.revolving_fund)
        f.record(FUND, self.activity_fund, decided.activity_fund)
        f.record(BORROWER, x.member_id, decided.borrower)
        if any(isinstance(e, LoanRepaid) for e in decided.loan):
            x.loan = None

    # -- care ------------------------------------------------------------------------------

    def start_care(self, day: date) -> None:
        share = self.params.care_per_club
        cases = int(share) + (1 if self.rng.random() < share % 1 else 0)
        for _ in range(cases):
            self.on(day + timedelta(days=self.rng.randint(0, 60)), self.open_case)

    def open_case(self, day: date) -> None:
        older = [
            x
            for x in self.members
            if x.profile.birth_date.year < day.year - 70 and x.joined_on <= day
        ]
        if not older or len(self.volunteers) < 2:
            return
        x = self.rng.choice(older)
        c = self.books["care"]
        case_id, plan_id = uid(self.rng), uid(self.rng)
        refer = cc.ReferForCare(
            case_id=case_id, club_id=self.club_id, person_id=x.person_id, member_id=x.member_id,
            full_name=x.name, referred_on=day, referred_by="board", reasons=("lives_alone",),
        )  # fmt: skip
        c.decide(CARE_CASE, case_id, lambda s: lifecycle.refer(s, refer))
        assess = cc.AssessNeeds(case_id=case_id, assessed_on=day, assessed_by="board")
        c.decide(CARE_CASE, case_id, lambda s: lifecycle.assess(s, assess))
        starts = day + timedelta(days=7 - day.weekday())  # the next Monday
        plan = cc.OpenCarePlan(
            case_id=case_id, plan_id=plan_id, visits_per_week=2, starts_on=starts
        )
        c.decide(CARE_CASE, case_id, lambda s: lifecycle.open_plan(s, plan))
        pair = tuple(self.rng.sample(self.volunteers, 2))
        assign = cc.AssignVolunteers(case_id=case_id, volunteer_ids=pair, assigned_on=day)
        c.decide(CARE_CASE, case_id, lambda s: lifecycle.assign_volunteers(s, assign))
        weeks = self.rng.randint(26, 78)
        for w in range(weeks):
            week_start = starts + timedelta(weeks=w)
            self.on(week_start, partial(self.care_week, case_id=case_id, pair=pair))
        end = starts + timedelta(weeks=weeks)
        self.on(end, partial(self.close_case, case_id=case_id))

    def care_week(self, week_start: date, case_id: UUID, pair: tuple[UUID, ...]) -> None:
        c = self.books["care"]
        days = [week_start, week_start + timedelta(days=3)]
        if self.rng.random() < 0.1:  # a visit missed now and then
            days = days[:1]
        for visit_day in days:
            if visit_day > self.today:
                continue
            cmd = cc.RecordVisit(
                visit_id=uid(self.rng), case_id=case_id, volunteer_ids=pair, visited_on=visit_day
            )
            c.decide(CARE_CASE, case_id, partial(visits.record_visit, cmd=cmd, now=self.now))
        sunday = week_start + timedelta(days=6)
        if sunday < self.today:
            year, week = week_of(week_start)
            assert monday(year, week) == week_start
            c.decide(CARE_CASE, case_id, lambda s: visits.close_week(s, year, week, self.now))

    def close_case(self, day: date, case_id: UUID) -> None:
        c = self.books["care"]
        cmd = cc.CloseCase(case_id=case_id, closed_on=day, reason="recovered")
        c.decide(CARE_CASE, case_id, lambda s: lifecycle.close(s, cmd))
        self.open_case(day)  # someone else takes the place

    def health_checks(self, day: date) -> None:
        c = self.books["care"]
        for x in self.members:
            older = x.profile.birth_date.year <= day.year - 60
            if x.joined_on <= day and older and self.rng.random() < self.params.health_check_share:
                check_id = uid(self.rng)
                cmd = cc.RecordHealthCheck(
                        check_id=check_id, club_id=self.club_id, person_id=x.person_id,
                        member_id=x.member_id, checked_on=day, provider="commune_health_station",
                        campaign=str(day.year),
                    )  # fmt: skip
                c.decide(
                    HEALTH_CHECK,
                    check_id,
                    partial(health.record_health_check, cmd=cmd, now=self.now),
                )

    # -- advocacy --------------------------------------------------------------------------

    def claim(self, day: date) -> None:
        a = self.books["advocacy"]
        people = [x for x in self.members if x.joined_on <= day]
        if people:
            x = self.rng.choice(people)
            case_id = uid(self.rng)
            scheme = self.rng.choice(SCHEMES)
            opened = ac.OpenEntitlementCase(
                case_id=case_id, person_id=x.person_id, club_id=self.club_id, scheme=scheme,
                opened_on=day,
            )  # fmt: skip
            a.decide(ADVOCACY_CASE, case_id, lambda s: claim.open_case(s, opened, None))
            self.on(day + timedelta(days=7), partial(self.claim_steps, case_id=case_id))
        gap = max(1, round(365 / max(self.params.claims_per_club_year, 0.01)))
        self.on(day + timedelta(days=self.rng.randint(gap // 2, gap + gap // 2)), self.claim)

    def claim_steps(self, day: date, case_id: UUID) -> None:
        a = self.books["advocacy"]
        ready = ac.MarkDocumentsReady(case_id=case_id, ready_on=day)
        a.decide(ADVOCACY_CASE, case_id, lambda s: claim.mark_documents_ready(s, ready))
        unit = self.plan.units[-1]  # the commune's People's Committee, by its admin codes
        office = f"{unit.province_code.zfill(2)}:{unit.ward_code.zfill(5)}"
        submitted = ac.RecordSubmission(case_id=case_id, submitted_on=day, office=office)
        calendar = calendar_around(day)
        a.decide(ADVOCACY_CASE, case_id, lambda s: claim.submit(s, submitted, TABLE, calendar))
        self.on(day + timedelta(days=20), partial(self.claim_decision, case_id=case_id))

    def claim_decision(self, day: date, case_id: UUID) -> None:
        a = self.books["advocacy"]
        if self.rng.random() < 0.85:
            cmd = ac.RecordDecision(
                case_id=case_id, decided_on=day, outcome="approved", lump_sum=1_000_000
            )
        else:
            cmd = ac.RecordDecision(
                case_id=case_id, decided_on=day, outcome="rejected", reason="Chưa đủ điều kiện"
            )
        a.decide(ADVOCACY_CASE, case_id, lambda s: claim.decide(s, cmd))


def simulate_club(plan: ClubPlan, params: Params, rng: random.Random) -> dict[str, Book]:
    """Every event of one club's life, by service, not yet appended."""
    books: dict[str, Book] = {service: Book(service) for service in params.services}
    books.setdefault("membership", Book("membership"))
    ClubLife(plan, params, rng, books).run()
    return books


def poverty_standard_on(day: date) -> str:
    """The poverty standard in force on `day`, from the reference list the service checks."""
    standards = reference("poverty_standards").entries
    return next((e.code for e in standards if e.valid_on(day)), standards[-1].code)
