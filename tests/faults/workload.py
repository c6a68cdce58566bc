"""A seeded mixed workload sent as real commands over NATS, and its Jepsen-style history.

Clients act for clubs: members join, funds are capitalised, loans go through a meeting
decision, application, approval, disbursement and repayments, members are referred for care
and visited, entitlement claims are opened and submitted. Each command is retried with the
SAME command id until it gets a definite answer: a timeout, "no responders", a 503 or a 500
is an unknown outcome (`info`), a conflict or "not known yet" (a 404 while another service's
events are on their way) is retried too. The history records every command's attempts and
final outcome: `ok` (with the result), `fail` (a definite refusal: nothing was appended) or
`info` (still unknown when the client gave up).

Pacing (about 25 commands a second across clients) is a rate, not a synchronisation.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from nats.aio.client import Client as NatsClient
from nats.errors import Error as NatsError

from ishc_contracts import Actor, CommandEnvelope
from ishc_runtime.clock import VN_TZ
from ishc_runtime.service import send_command

RETRIED = {404, 409, 500, 503}
UNKNOWN = {500, 503}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Thị Lan", "Thị Hoa", "Văn Nam", "Văn Hùng", "Đức Minh", "Thị Mai", "Ngọc Anh")


@dataclass
class Op:
    """One command of the history, over all its attempts."""

    client: str
    service: str
    type: str
    command_id: UUID
    attempts: int = 0
    unknown_attempts: int = 0
    outcome: str = "invoke"  # ok | fail | info
    result: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None


@dataclass
class History:
    ops: list[Op] = field(default_factory=list)

    def by_outcome(self) -> Counter[str]:
        return Counter(op.outcome for op in self.ops)

    @property
    def ok(self) -> list[Op]:
        return [op for op in self.ops if op.outcome == "ok"]

    def count(self, outcome: str) -> int:
        return sum(op.outcome == outcome for op in self.ops)

    def retried(self) -> int:
        return sum(op.attempts - 1 for op in self.ops if op.attempts > 1)

    def summary(self) -> str:
        outcomes = self.by_outcome()
        unknown = sum(op.unknown_attempts for op in self.ops)
        return (
            f"{len(self.ops)} commands: {outcomes['ok']} ok, {outcomes['fail']} fail,"
            f" {outcomes['info']} info (unknown), {outcomes['invoke']} in flight;"
            f" {self.retried()} retries on the same id, {unknown} attempts with unknown outcome"
        )


class Pacer:
    """At most `rate` commands a second across all clients."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = 0.0

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(self.next, now)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class Member:
    member_id: UUID
    person_id: UUID
    full_name: str
    borrowing: bool = False
    referred: bool = False


@dataclass
class Loan:
    loan_id: UUID
    principal: int
    repaid: int = 0


@dataclass
class Club:
    club_id: UUID
    members: list[Member] = field(default_factory=list)
    volunteers: list[UUID] = field(default_factory=list)
    cash: int = 0
    loans: list[Loan] = field(default_factory=list)
    cases: list[UUID] = field(default_factory=list)
    established: bool = False


class Client:
    """One client acting for one club, one command at a time."""

    def __init__(self, workload: Workload, name: str, seed: int) -> None:
        self.workload = workload
        self.name = name
        self.rng = random.Random(seed)
        self.club = Club(self.new_id())
        self.actor = Actor(user_id=f"fault-{name}", role="club_secretary")

    def new_id(self) -> UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    @property
    def today(self) -> str:
        return self.workload.today.isoformat()

    async def call(self, service: str, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Send until a definite answer (or the client's patience runs out): the result, or
        None when refused or still unknown."""
        workload = self.workload
        op = Op(self.name, service, kind, self.new_id())
        workload.history.ops.append(op)
        envelope = CommandEnvelope(
            command_id=op.command_id,
            type=kind,
            actor=self.actor,
            club_id=self.club.club_id,
            payload=payload,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + workload.patience
        while True:
            await workload.pacer.take()
            op.attempts += 1
            try:
                reply = await send_command(workload.nc, service, envelope, timeout=5)
            except (NatsError, OSError, TimeoutError) as error:
                status, problem = 503, {"type": "client", "detail": repr(error)}
            else:
                if reply.ok:
                    op.outcome, op.result = "ok", reply.result or {}
                    workload.acknowledged += 1
                    return op.result
                assert reply.problem is not None
                status, problem = reply.problem.status, reply.problem.model_dump()
            if status in UNKNOWN:
                op.unknown_attempts += 1
            if status not in RETRIED:
                op.outcome, op.problem = "fail", problem
                return None
            if loop.time() > deadline:
                # After an unknown attempt, a later definite refusal would have been final;
                # the last answer was a retryable one, so the outcome stays unknown.
                op.outcome = "info" if op.unknown_attempts else "fail"
                op.problem = problem
                return None
            await asyncio.sleep(self.rng.uniform(0.1, 0.5))

    # -- the club's life ------------------------------------------------------------------

    async def run(self, stopping: asyncio.Event) -> None:
        if not self.club.established:
            await self.establish()
        actions = (
            (self.admit, 2),
            (self.lend, 2),
            (self.repay, 3),
            (self.fee, 1),
            (self.refer, 1),
            (self.visit, 3),
            (self.claim, 1),
        )
        choices = [action for action, weight in actions for _ in range(weight)]
        while not stopping.is_set():
            await self.rng.choice(choices)()

    async def establish(self) -> None:
        club = self.club
        made = await self.call(
            "membership",
            "EstablishClub",
            {
                "club_id": str(club.club_id),
                "name": f"CLB Liên thế hệ tự giúp nhau {self.name}",
                "admin_unit": "01:00070",
                "founded_on": "2024-03-21",
                "meeting_day_of_month": 21,
            },
        )
        if made is None:
            return
        club.established = True
        for _ in range(4):
            await self.admit()
        for member in club.members[:2]:
            volunteer_id = self.new_id()
            registered = await self.call(
                "membership",
                "RegisterVolunteer",
                {
                    "volunteer_id": str(volunteer_id),
                    "club_id": str(club.club_id),
                    "person_id": str(member.person_id),
                    "member_id": str(member.member_id),
                    "full_name": member.full_name,
                    "registered_on": self.today,
                    "confidentiality_signed": True,
                },
            )
            if registered is not None:
                club.volunteers.append(volunteer_id)
        await self.capitalise()

    async def capitalise(self) -> None:
        amount = 50_000_000
        done = await self.call(
            "finance",
            "CapitaliseFund",
            {
                "club_id": str(self.club.club_id),
                "fund_type": "income_generation",
                "amount": amount,
                "source": "project",
                "received_on": self.today,
            },
        )
        if done is not None:
            self.club.cash += amount

    async def admit(self) -> None:
        if not self.club.established:
            return
        member = Member(
            self.new_id(),
            self.new_id(),
            f"{self.rng.choice(FAMILY)} {self.rng.choice(GIVEN)}",
        )
        admitted = await self.call(
            "membership",
            "AdmitMember",
            {
                "member_id": str(member.member_id),
                "person_id": str(member.person_id),
                "club_id": str(self.club.club_id),
                "full_name": member.full_name,
                "sex": self.rng.choice(("female", "male")),
                "birth_date": date(self.rng.randint(1935, 1990), 1, 1).isoformat(),
                "joined_on": "2024-04-01",
            },
        )
        if admitted is not None:
            self.club.members.append(member)

    async def lend(self) -> None:
        club = self.club
        free = [m for m in club.members if not m.borrowing]
        if not free:
            return await self.admit()
        principal = self.rng.randint(2, 8) * 500_000
        if club.cash < principal:
            return await self.capitalise()
        borrower = self.rng.choice(free)
        borrower.borrowing = True  # whatever happens next, never two loans at once
        loan_id, meeting_id, decision_id = self.new_id(), self.new_id(), self.new_id()
        steps: list[tuple[str, str, dict[str, Any]]] = [
            (
                "membership",
                "HoldMeeting",
                {
                    "meeting_id": str(meeting_id),
                    "club_id": str(club.club_id),
                    "held_on": self.today,
                    "present": [str(m.member_id) for m in club.members[:6]],
                },
            ),
            (
                "membership",
                "RecordDecision",
                {
                    "meeting_id": str(meeting_id),
                    "decision_id": str(decision_id),
                    "kind": "loan_approval",
                    "summary": "Cho vay vốn",
                    "member_id": str(borrower.member_id),
                    "subject_id": str(loan_id),
                    "amount": principal,
                    "votes_for": 4,
                },
            ),
            (
                "finance",
                "SubmitLoanApplication",
                {
                    "loan_id": str(loan_id),
                    "club_id": str(club.club_id),
                    "member_id": str(borrower.member_id),
                    "principal": principal,
                    "purpose": self.rng.choice(("livestock", "crops", "small_business")),
                    "applied_on": self.today,
                },
            ),
            (
                "finance",
                "ApproveLoan",
                {
                    "loan_id": str(loan_id),
                    "decision_id": str(decision_id),
                    "approved_on": self.today,
                },
            ),
        ]
        for service, kind, payload in steps:
            if await self.call(service, kind, payload) is None:
                return None
        club.cash -= principal
        disbursed = await self.call(
            "finance", "DisburseLoan", {"loan_id": str(loan_id), "disbursed_on": self.today}
        )
        if disbursed is not None:
            club.loans.append(Loan(loan_id, principal))
        return None

    async def repay(self) -> None:
        open_loans = [loan for loan in self.club.loans if loan.repaid < loan.principal // 2]
        if not open_loans:
            return await self.lend()
        loan = self.rng.choice(open_loans)
        amount = self.rng.randint(1, 4) * 50_000
        done = await self.call(
            "finance",
            "PostRepayment",
            {
                "loan_id": str(loan.loan_id),
                "repayment_id": str(self.new_id()),
                "received_on": self.today,
                "amount": amount,
            },
        )
        if done is not None:
            loan.repaid += amount
        return None

    async def fee(self) -> None:
        if not self.club.members:
            return
        member = self.rng.choice(self.club.members)
        await self.call(
            "finance",
            "RecordMembershipFee",
            {
                "club_id": str(self.club.club_id),
                "fee_id": str(self.new_id()),
                "member_id": str(member.member_id),
                "amount": 20_000,
                "received_on": self.today,
            },
        )

    async def refer(self) -> None:
        club = self.club
        candidates = [m for m in club.members if not m.referred]
        if not candidates or not club.volunteers:
            return await self.admit()
        person = self.rng.choice(candidates)
        person.referred = True
        case_id = self.new_id()
        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "ReferForCare",
                {
                    "case_id": str(case_id),
                    "club_id": str(club.club_id),
                    "person_id": str(person.person_id),
                    "member_id": str(person.member_id),
                    "full_name": person.full_name,
                    "referred_on": self.today,
                    "referred_by": "club_board",
                    "reasons": ["lives_alone"],
                },
            ),
            (
                "AssessNeeds",
                {"case_id": str(case_id), "assessed_on": self.today, "assessed_by": "club_board"},
            ),
            (
                "OpenCarePlan",
                {
                    "case_id": str(case_id),
                    "plan_id": str(self.new_id()),
                    "visits_per_week": 2,
                    "starts_on": self.today,
                },
            ),
            (
                "AssignVolunteers",
                {
                    "case_id": str(case_id),
                    "volunteer_ids": [str(v) for v in club.volunteers],
                    "assigned_on": self.today,
                },
            ),
        ]
        for kind, payload in steps:
            if await self.call("care", kind, payload) is None:
                return None
        club.cases.append(case_id)
        return None

    async def visit(self) -> None:
        club = self.club
        if not club.cases:
            return await self.refer()
        await self.call(
            "care",
            "RecordVisit",
            {
                "visit_id": str(self.new_id()),
                "case_id": str(self.rng.choice(club.cases)),
                "volunteer_ids": [str(self.rng.choice(club.volunteers))],
                "visited_on": self.today,
                "duration_minutes": self.rng.randint(20, 90),
                "tasks_done": ["bathing"],
            },
        )
        return None

    async def claim(self) -> None:
        club = self.club
        if not club.members:
            return
        person = self.rng.choice(club.members)
        case_id = self.new_id()
        steps: list[tuple[str, str, dict[str, Any]]] = [
            (
                # Handing the file to the commune needs the person's consent to share it
                # (advocacy refuses the submission without it, until it has projected it).
                "membership",
                "RecordConsent",
                {
                    "consent_id": str(self.new_id()),
                    "person_id": str(person.person_id),
                    "club_id": str(club.club_id),
                    "purpose": "share_with_commune",
                    "given_on": self.today,
                    "method": "written",
                },
            ),
            (
                "advocacy",
                "OpenEntitlementCase",
                {
                    "case_id": str(case_id),
                    "person_id": str(person.person_id),
                    "club_id": str(club.club_id),
                    "scheme": "health_insurance",
                    "opened_on": self.today,
                    "trigger": "member_request",
                },
            ),
            (
                "advocacy",
                "MarkDocumentsReady",
                {"case_id": str(case_id), "ready_on": self.today, "documents": ["cccd"]},
            ),
            (
                "advocacy",
                "RecordSubmission",
                {"case_id": str(case_id), "submitted_on": self.today, "office": "ubnd-xa"},
            ),
        ]
        for service, kind, payload in steps:
            if await self.call(service, kind, payload) is None:
                return


class Workload:
    """Clients for `clubs` clubs, started and stopped around each fault."""

    def __init__(
        self,
        nc: NatsClient,
        *,
        seed: int,
        clubs: int = 6,
        rate: float = 25.0,
        patience: float = 120.0,
    ) -> None:
        self.nc = nc
        self.history = History()
        self.pacer = Pacer(rate)
        self.patience = patience
        self.today = datetime.now(VN_TZ).date()
        self.clients = [Client(self, f"club{n}", seed * 1000 + n) for n in range(clubs)]
        self.acknowledged = 0
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        assert not self._tasks, "the workload is running already"
        self._stopping = asyncio.Event()
        self._tasks = [asyncio.create_task(c.run(self._stopping)) for c in self.clients]

    async def stop(self) -> None:
        """Let every client finish the command it is on (bounded by its patience)."""
        self._stopping.set()
        tasks, self._tasks = self._tasks, []
        await asyncio.gather(*tasks)

    def check_alive(self) -> None:
        for task in self._tasks:
            if task.done() and task.exception() is not None:
                raise AssertionError("a workload client crashed") from task.exception()

    async def progressed(self, by: int, timeout: float = 120.0) -> None:
        """Wait until `by` more commands are acknowledged."""
        target = self.acknowledged + by
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.acknowledged < target:
            self.check_alive()
            if loop.time() > deadline:
                raise AssertionError(
                    f"the workload made no progress: {self.acknowledged}/{target} acknowledged;"
                    f" {self.history.summary()}"
                )
            await asyncio.sleep(0.05)
