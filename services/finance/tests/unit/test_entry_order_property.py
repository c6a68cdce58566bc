"""Property (issue #19): one club's paper book of loans, typed in live, all at once months
later, in any order, or with phones uploading repayments twice, gives the same figures on
every date: each loan's status, outstanding principal and days overdue, the club's
outstanding, at-risk, PAR30 and repayment rate, and the funds' principal and interest per
month (the fund statement, N15). Each equals a reference computed in this test
straight from the paper book, without the domain's code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finance.application.aggregates import LOAN as LOAN_AGG
from finance.application.reading import LoanOn, loan_on
from finance.domain import servicing
from finance.domain.loan import Loan
from finance.domain.schedule import build_schedule
from ishc_contracts import Event
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import (
    Installment,
    LoanApplied,
    LoanApproved,
    LoanIssued,
    LoanRepaid,
    RepaymentReallocated,
    RepaymentReceived,
)
from ishc_contracts.finance.ids import fund_id_for

pytestmark = pytest.mark.unit

CLUB = UUID(int=1)
FUND = fund_id_for(CLUB, "income_generation")
START = date(2026, 1, 1)
REPORT_DAY = date(2027, 3, 31)  # everything is typed in by then
MONTH_ENDS = [date(2026, m, 28) + timedelta(days=4) for m in range(1, 13)]
MONTH_ENDS = [d - timedelta(days=d.day) for d in MONTH_ENDS]  # the last day of each month


@dataclass(frozen=True)
class PaperLoan:
    """A page of the club's loan book: the loan and each payment with the day it came in."""

    loan_id: UUID
    principal: int
    term: int
    disbursed_on: date
    payments: tuple[tuple[UUID, date, int], ...]  # (receipt no., received on, VND)

    @property
    def schedule(self) -> tuple[Installment, ...]:
        return build_schedule(self.principal, self.term, "flat", 50, 0, self.disbursed_on, 21)


@st.composite
def paper_loan(draw: st.DrawFn, n: int) -> PaperLoan:
    principal = draw(st.sampled_from([1_000_000, 2_500_000, 3_000_000, 7_000_000]))
    term = draw(st.integers(min_value=2, max_value=6))
    disbursed = START + timedelta(days=draw(st.integers(min_value=0, max_value=90)))
    loan = PaperLoan(UUID(int=100 + n), principal, term, disbursed, ())
    payments: list[tuple[UUID, date, int]] = []
    owed = sum(i.principal + i.interest for i in loan.schedule)
    for item in loan.schedule:
        kind = draw(st.sampled_from(["on time", "early", "late", "very late", "part", "missed"]))
        due = item.principal + item.interest
        if kind == "missed":
            continue
        shift = {"on time": 0, "early": -5, "late": 20, "very late": 75, "part": 3}[kind]
        amount = due // 2 if kind == "part" else due
        amount = min(amount, owed - sum(p[2] for p in payments))
        day = max(item.due_on + timedelta(days=shift), disbursed)
        if amount > 0:
            payments.append((UUID(int=10_000 * (n + 1) + len(payments)), day, amount))
    return PaperLoan(loan.loan_id, principal, term, disbursed, tuple(payments))


@st.composite
def paper_book(draw: st.DrawFn) -> tuple[PaperLoan, ...]:
    count = draw(st.integers(min_value=1, max_value=4))
    return tuple(draw(paper_loan(n)) for n in range(count))


# -- the reference, from the paper book alone ---------------------------------------------


@dataclass(frozen=True)
class Figures:
    status: str
    outstanding: int
    days_overdue: int


def reference(loan: PaperLoan, day: date) -> Figures | None:
    """The loan on `day`, worked out as a treasurer would with the book open."""
    if day < loan.disbursed_on:
        return None
    paid = sum(amount for _, received, amount in loan.payments if received <= day)
    rows = [(i.due_on, i.principal, i.interest) for i in loan.schedule]
    if paid >= sum(p + i for _, p, i in rows):
        return Figures("repaid", 0, 0)
    left, principal_paid, oldest = paid, 0, None
    for due_on, principal, interest in rows:
        covers_interest = min(left, interest)
        covers_principal = min(left - covers_interest, principal)
        left -= covers_interest + covers_principal
        principal_paid += covers_principal
        short = covers_interest + covers_principal < principal + interest
        if short and due_on < day and oldest is None:
            oldest = due_on
    days = 0 if oldest is None else (day - oldest).days
    return Figures("active", loan.principal - principal_paid, days)


def club_reference(book: Sequence[PaperLoan], day: date) -> dict[str, Any]:
    figures = [f for f in (reference(loan, day) for loan in book) if f is not None]
    outstanding = sum(f.outstanding for f in figures if f.status == "active")
    at_risk = sum(f.outstanding for f in figures if f.status == "active" and f.days_overdue > 30)
    return {"outstanding": outstanding, "at_risk": at_risk}


def fund_months_reference(book: Sequence[PaperLoan]) -> dict[tuple[str, date], int]:
    """Principal back to the revolving fund and interest to the activity fund per month:
    each payment covers the oldest interest, then that installment's principal, in the
    order the cash came in (same-day payments by receipt number)."""
    out: dict[tuple[str, date], int] = {}
    for loan in book:
        left = [[i.interest, i.principal] for i in loan.schedule]
        for _receipt, received, paid in sorted(loan.payments, key=lambda p: (p[1], str(p[0]))):
            amount, month = paid, received.replace(day=1)
            for row in left:
                for part, kind in ((0, "interest"), (1, "principal")):
                    take = min(amount, row[part])
                    row[part], amount = row[part] - take, amount - take
                    if take:
                        out[(kind, month)] = out.get((kind, month), 0) + take
    return out


# -- entering the book: the domain as the handlers drive it -------------------------------


def opening(loan: PaperLoan) -> list[Event]:
    member = UUID(int=loan.loan_id.int + 1_000)
    return [
        LoanApplied(
            loan_id=loan.loan_id,
            club_id=CLUB,
            fund_id=FUND,
            member_id=member,
            principal=loan.principal,
            term_months=loan.term,
            purpose="livestock",
            applied_on=loan.disbursed_on,
        ),
        LoanApproved(
            loan_id=loan.loan_id,
            club_id=CLUB,
            principal=loan.principal,
            term_months=loan.term,
            interest_method="flat",
            monthly_interest_bp=50,
            grace_months=0,
            approved_on=loan.disbursed_on,
            meeting_id=UUID(int=7),
            decision_id=UUID(int=8),
            product_version=0,
        ),
        LoanIssued(
            loan_id=loan.loan_id,
            club_id=CLUB,
            fund_id=FUND,
            member_id=member,
            principal=loan.principal,
            disbursed_on=loan.disbursed_on,
            schedule=loan.schedule,
        ),
    ]


# A step: ("pay", loan, (receipt, day, amount), keyed-in day) or ("timer", loan, day, day).
Step = tuple[str, PaperLoan, Any, date]


def steps_of(book: Sequence[PaperLoan]) -> list[Step]:
    steps: list[Step] = []
    for loan in book:
        steps += [("pay", loan, p, p[1]) for p in loan.payments]
        for item in loan.schedule:  # the arrears timers: the day after, and at 31 and 61 days
            for days in (1, 31, 61, 91):
                day = item.due_on + timedelta(days=days)
                steps.append(("timer", loan, day, day))
    return steps


def enter(book: Sequence[PaperLoan], steps: Sequence[Step]) -> dict[UUID, list[Event]]:
    """Run `steps` in this order through the domain; each loan's events."""
    history = {loan.loan_id: opening(loan) for loan in book}
    for kind, loan, what, keyed_on in steps:
        state = state_of(history[loan.loan_id])
        if kind == "timer":
            new = servicing.assess_arrears(state, loan.loan_id, what)
        else:
            receipt, received_on, amount = what
            cmd = PostRepayment(
                loan_id=loan.loan_id, repayment_id=receipt, received_on=received_on, amount=amount
            )
            new = servicing.repay(state, cmd, max(keyed_on, received_on))
        history[loan.loan_id] += new
    return history


def state_of(events: Sequence[Event]) -> Loan:
    state = LOAN_AGG.initial
    for event in events:
        state = LOAN_AGG.evolve(state, event)
    return state


def read(loan: PaperLoan, events: Sequence[Event], day: date) -> LoanOn:
    """The loan book's read of `events` (what finance's projection keeps), on `day`."""
    state = state_of(events)
    closed = next((e.repaid_on for e in events if isinstance(e, LoanRepaid)), None)
    row = {
        "loan_id": loan.loan_id,
        "club_id": CLUB,
        "member_id": UUID(int=0),
        "status": state.status,
        "principal": loan.principal,
        "disbursed_on": loan.disbursed_on,
        "closed_on": closed,
        "case_open": False,
        "written_off": 0,
        "recovered": 0,
        "arrears_tolerance": 0,
        "version": len(events),
    }
    receipts = [
        (e.received_on, e.principal + e.interest)
        for e in events
        if isinstance(e, RepaymentReceived)
    ]
    return loan_on(row, state.schedule, receipts, (), day)


def fund_months(history: dict[UUID, list[Event]]) -> dict[tuple[str, date], int]:
    """The funds' money in per month from the loans' events: each repayment's split on the
    day received, moved by any re-split of it."""
    out: dict[tuple[str, date], int] = {}
    for events in history.values():
        for e in events:
            if isinstance(e, RepaymentReceived):
                changes = {"principal": e.principal, "interest": e.interest}
            elif isinstance(e, RepaymentReallocated):
                changes = {"principal": e.principal_change, "interest": -e.principal_change}
            else:
                continue
            for kind, amount in changes.items():
                key = (kind, e.received_on.replace(day=1))
                out[key] = out.get(key, 0) + amount
    return {key: amount for key, amount in out.items() if amount}


def days_of(book: Sequence[PaperLoan]) -> list[date]:
    first_due = min(i.due_on for loan in book for i in loan.schedule)
    return [*MONTH_ENDS, first_due - timedelta(days=1), first_due + timedelta(days=95), REPORT_DAY]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=paper_book(), shuffle=st.randoms(use_true_random=False))
def test_every_entry_order_gives_the_reference_figures_on_every_date(
    book: tuple[PaperLoan, ...], shuffle: Any
) -> None:
    steps = steps_of(book)
    live = sorted(steps, key=lambda s: (s[3], s[0] == "timer"))
    months_later = [
        *(s for s in steps if s[0] == "timer"),
        *((kind, loan, what, REPORT_DAY) for kind, loan, what, _ in steps if kind == "pay"),
    ]
    any_order = [(k, loan, w, REPORT_DAY if k == "pay" else d) for k, loan, w, d in steps]
    shuffle.shuffle(any_order)
    twice = [*live, *((k, loan, w, REPORT_DAY) for k, loan, w, _ in steps if k == "pay")]
    orders = {"live": live, "months later": months_later, "random": any_order, "twice": twice}

    for name, order in orders.items():
        history = enter(book, order)
        for day in days_of(book):
            loans = [(loan, read(loan, history[loan.loan_id], day)) for loan in book]
            for loan, got in loans:
                want = reference(loan, day)
                if want is None:
                    assert got.status == "approved", (name, day)
                    continue
                figures = Figures(
                    got.status,
                    got.outstanding_principal,
                    got.arrears.days_overdue if got.arrears else 0,
                )
                assert figures == want, (name, day, loan)
            active = [x for _, x in loans if x.active]
            club = {
                "outstanding": sum(x.outstanding_principal for x in active),
                "at_risk": sum(x.outstanding_principal for x in active if x.at_risk),
            }
            assert club == club_reference(book, day), (name, day)
        assert fund_months(history) == fund_months_reference(book), name
