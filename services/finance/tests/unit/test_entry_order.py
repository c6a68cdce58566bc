"""Arrears are a function of business dates (issue #19): a repayment keyed in after the
arrears timer fired cures the arrears from the day it was received, and one history gives the
same arrears on every day whatever order it was keyed in (given/when/then)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import permutations
from uuid import UUID

import pytest

from finance.domain import servicing
from finance.domain.arrears import Arrears, arrears_on, days_overdue, principal_repaid_by
from finance.domain.loan import Loan
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import (
    LoanBecameCurrent,
    LoanBecameOverdue,
    RepaymentReceived,
)

from .given import ACTIVE, CLUB, FUND, LOAN, MEMBER

pytestmark = pytest.mark.unit

DUE_1 = date(2026, 2, 15)  # 1,015,000 due (1,000,000 principal + 15,000 interest)
TIMER_FIRED = date(2026, 2, 16)  # the day after the due date
KEYED_IN = date(2026, 3, 5)  # the secretary types the paper book in


def pay(amount: int, on: date, n: int = 50) -> PostRepayment:
    return PostRepayment(loan_id=LOAN, repayment_id=UUID(int=n), received_on=on, amount=amount)


def received(principal: int, interest: int, on: date, n: int = 50) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=UUID(int=n),
        received_on=on,
        principal=principal,
        interest=interest,
    )


FLAGGED = LoanBecameOverdue(
    loan_id=LOAN,
    club_id=CLUB,
    member_id=MEMBER,
    as_of=TIMER_FIRED,
    installment=1,
    days_overdue=1,
    bucket="1-30",
    overdue_principal=1_000_000,
    overdue_interest=15_000,
    outstanding_principal=3_000_000,
)


def arrears(state: Loan, day: date) -> Arrears | None:
    return arrears_on(state.schedule, state.receipts, state.pauses, state.arrears_tolerance, day)


def test_a_repayment_keyed_in_after_the_timer_cures_from_the_day_it_was_received() -> None:
    outcome = (
        ACTIVE.given(FLAGGED)
        .when(lambda s: servicing.repay(s, pay(1_015_000, DUE_1), KEYED_IN))
        .then(
            received(1_000_000, 15_000, DUE_1),
            LoanBecameCurrent(loan_id=LOAN, club_id=CLUB, as_of=DUE_1),
        )
    )
    outcome.then_state(
        lambda s: (
            s.bucket is None
            and all(arrears(s, DUE_1 + timedelta(days=n)) is None for n in range(28))
        )
    )


def test_a_repayment_keyed_in_before_the_timer_leaves_nothing_to_flag() -> None:
    ACTIVE.given(received(1_000_000, 15_000, DUE_1)).when(
        lambda s: servicing.assess_arrears(s, LOAN, TIMER_FIRED)
    ).then_nothing()


def test_a_partial_repayment_keyed_in_late_leaves_the_rest_overdue_from_the_due_date() -> None:
    outcome = (
        ACTIVE.given(FLAGGED)
        .when(lambda s: servicing.repay(s, pay(500_000, DUE_1), KEYED_IN))
        .then(received(485_000, 15_000, DUE_1))
    )
    state = ACTIVE.given(FLAGGED, *outcome.events).state
    assert arrears(state, KEYED_IN) == Arrears(
        installment=1,
        due_on=DUE_1,
        days_overdue=(KEYED_IN - DUE_1).days,
        bucket="1-30",
        overdue_principal=515_000,
        overdue_interest=0,
    )


def test_a_timer_that_fires_late_judges_the_day_it_was_set_for() -> None:
    # Paid on 20 Feb, keyed in before the 16 Feb timer ran: on 16 Feb it was still unpaid,
    # and the whole principal was still out.
    ACTIVE.given(received(1_000_000, 15_000, date(2026, 2, 20))).when(
        lambda s: servicing.assess_arrears(s, LOAN, TIMER_FIRED)
    ).then(FLAGGED)


def test_days_overdue_go_on_counting_after_the_last_bucket() -> None:
    day = DUE_1 + timedelta(days=200)
    late = arrears(ACTIVE.state, day)
    assert late is not None
    assert (late.days_overdue, late.bucket, late.overdue_principal) == (200, "90+", 3_000_000)


def test_paused_days_are_taken_out_of_the_count() -> None:
    pauses = ((date(2026, 2, 20), date(2026, 3, 1)), (date(2026, 1, 1), date(2026, 1, 31)))
    assert days_overdue(DUE_1, date(2026, 3, 18), pauses) == 31 - 10
    assert days_overdue(DUE_1, DUE_1, pauses) == 0


HISTORY = (
    received(985_000, 15_000, date(2026, 2, 15), 61),  # 15,000 short of the first installment
    received(15_000, 0, date(2026, 3, 2), 62),  # the shortfall, a fortnight late
    received(1_000_000, 15_000, date(2026, 4, 20), 63),  # the second, 36 days late
)
DAYS = [date(2026, 2, 1) + timedelta(days=n) for n in range(400)]


def test_one_history_keyed_in_any_order_gives_the_same_arrears_every_day() -> None:
    # The split of each repayment depends on what was keyed in before it; arrears and the
    # principal repaid by a day must not.
    figures = set()
    for order in permutations(HISTORY):
        state = ACTIVE.given(*order).state
        figures.add(
            tuple(
                (arrears(state, d), principal_repaid_by(state.schedule, state.receipts, d))
                for d in DAYS
            )
        )
    assert len(figures) == 1
    (only,) = figures
    by_day = dict(zip(DAYS, only, strict=True))
    assert by_day[date(2026, 2, 1)] == (None, 0)
    assert by_day[date(2026, 2, 28)][0] is not None  # 15,000 short since 16 Feb
    assert by_day[date(2026, 3, 5)] == (None, 2_000_000 - 1_000_000)
    late = by_day[date(2026, 4, 19)][0]  # the day before the second installment was paid
    assert late is not None and (late.installment, late.days_overdue) == (2, 35)
    late = by_day[date(2026, 4, 20)][0]  # the third (15 April) is now the oldest unpaid
    assert late is not None and (late.installment, late.days_overdue) == (3, 5)
