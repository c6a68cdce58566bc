"""A repayment splits into interest and principal in the order the cash was *received*, not
the order it was keyed in (issue #19, fund statement N15): a repayment received earlier but
keyed in later takes the older interest and principal, and the ones received after it are
split again, with the money moved between the revolving fund and the activity fund on the
days those repayments were received (given/when/then)."""

from __future__ import annotations

from datetime import date
from itertools import permutations
from uuid import UUID

import pytest

from finance.application.aggregates import FUND as FUND_AGGREGATE
from finance.domain import fund, servicing
from finance.domain.errors import InsufficientCash
from finance.domain.fund import Fund, LoanReturn
from finance.domain.loan import evolve as loan_evolve
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import (
    InterestAllocatedToActivityFund,
    RepaymentReallocated,
    RepaymentReceived,
    RepaymentSplitCorrected,
)
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.testing.specs import spec

from .given import ACTIVE, CLUB, FUND, LOAN

pytestmark = pytest.mark.unit

ACTIVITY = fund_id_for(CLUB, "activity")
JAN, FEB = date(2026, 2, 10), date(2026, 3, 10)  # two receipts in the paper book
EARLY, LATE = UUID(int=61), UUID(int=62)


def pay(repayment_id: UUID, on: date, amount: int) -> PostRepayment:
    return PostRepayment(loan_id=LOAN, repayment_id=repayment_id, received_on=on, amount=amount)


def received(repayment_id: UUID, on: date, principal: int, interest: int) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=repayment_id,
        received_on=on,
        principal=principal,
        interest=interest,
    )


def test_an_earlier_receipt_keyed_in_later_takes_the_oldest_interest_and_resplits_the_later_one() -> (
    None
):
    # The later receipt was keyed first: its 500,000 covered installment 1's 15,000 interest
    # and 485,000 of principal. Received earlier, the 10,000 covers that interest instead.
    (
        ACTIVE.given(received(LATE, FEB, 485_000, 15_000))
        .when(lambda s: servicing.repay(s, pay(EARLY, JAN, 10_000), FEB))
        .then(
            received(EARLY, JAN, 0, 10_000),
            RepaymentReallocated(
                loan_id=LOAN,
                club_id=CLUB,
                fund_id=FUND,
                repayment_id=LATE,
                received_on=FEB,
                principal=495_000,
                interest=5_000,
                principal_change=10_000,
            ),
        )
        .then_state(lambda s: (s.principal_paid, s.interest_paid) == (495_000, 15_000))
    )


def test_a_receipt_keyed_in_the_order_received_resplits_nothing() -> None:
    ACTIVE.given(received(EARLY, JAN, 0, 10_000)).when(
        lambda s: servicing.repay(s, pay(LATE, FEB, 500_000), FEB)
    ).then(received(LATE, FEB, 495_000, 5_000))


def test_the_resplit_moves_money_between_the_funds_on_the_later_receipts_day() -> None:
    moved = RepaymentReallocated(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=LATE,
        received_on=FEB,
        principal=495_000,
        interest=5_000,
        principal_change=10_000,
    )
    assert servicing.reallocation_postings(moved) == [
        RepaymentSplitCorrected(
            fund_id=FUND,
            club_id=CLUB,
            fund_type="income_generation",
            loan_id=LOAN,
            repayment_id=LATE,
            amount=10_000,
            received_on=FEB,
        ),
        RepaymentSplitCorrected(
            fund_id=ACTIVITY,
            club_id=CLUB,
            fund_type="activity",
            loan_id=LOAN,
            repayment_id=LATE,
            amount=-10_000,
            received_on=FEB,
        ),
    ]


def correction(amount: int, on: date = FEB) -> RepaymentSplitCorrected:
    return RepaymentSplitCorrected(
        fund_id=ACTIVITY,
        club_id=CLUB,
        fund_type="activity",
        loan_id=LOAN,
        repayment_id=LATE,
        amount=amount,
        received_on=on,
    )


def interest(amount: int, on: date, repayment_id: UUID = LATE) -> InterestAllocatedToActivityFund:
    return InterestAllocatedToActivityFund(
        fund_id=ACTIVITY,
        club_id=CLUB,
        loan_id=LOAN,
        repayment_id=repayment_id,
        amount=amount,
        received_on=on,
    )


def test_a_correction_changes_the_days_money_in_and_never_counts_as_money_out() -> None:
    (
        spec(FUND_AGGREGATE)
        .given(interest(15_000, FEB))
        .when(lambda s: fund.receive(s, correction(-10_000)))
        .then(correction(-10_000))
        .then_state(lambda s: s.cash == 5_000 and s.open_months[date(2026, 3, 1)] == (5_000, 0))
    )


def test_a_correction_may_not_take_the_fund_below_zero() -> None:
    spec(FUND_AGGREGATE).given(interest(5_000, FEB)).when(
        lambda s: fund.receive(s, correction(-10_000))
    ).then_raises(InsufficientCash, field="amount")


def test_postings_of_one_repayment_are_taken_money_in_first() -> None:
    # Alone, the correction would take the empty fund below zero; with the new interest
    # booked first, the fund ends where it would have with the receipts keyed in order.
    events: list[LoanReturn] = [correction(-10_000), interest(10_000, JAN, EARLY)]
    assert fund.receive_all(Fund(), events) == [interest(10_000, JAN, EARLY), correction(-10_000)]


# -- every entry order: one statement ---------------------------------------------------------

BOOK = [  # (receipt, received on, VND): partial, then catching up, then a small one
    (UUID(int=71), date(2026, 2, 12), 300_000),
    (UUID(int=72), date(2026, 2, 20), 900_000),
    (UUID(int=73), date(2026, 3, 14), 20_000),
    (UUID(int=74), date(2026, 4, 15), 1_100_000),
]


def monthly_flows(order: list[tuple[UUID, date, int]]) -> dict[tuple[str, date], int]:
    """Key the book in `order` through the loan and both funds; each fund's money in per
    month, as the fund statement shows it."""
    loan = ACTIVE.state
    funds = {FUND: Fund(), ACTIVITY: Fund()}
    for repayment_id, on, amount in order:
        events = servicing.repay(loan, pay(repayment_id, on, amount), date(2026, 6, 1))
        for event in events:
            loan = loan_evolve(loan, event)
        postings: list[LoanReturn] = []
        for event in events:
            if isinstance(event, RepaymentReceived):
                postings += [p for p in servicing.repayment_postings(event) if p is not None]
            if isinstance(event, RepaymentReallocated):
                postings += servicing.reallocation_postings(event)
        for fund_id, before in list(funds.items()):
            mine = [p for p in postings if p.fund_id == fund_id]
            after = before
            for accepted in fund.receive_all(before, mine):
                after = fund.evolve(after, accepted)
            funds[fund_id] = after
    return {
        (kind, month): flows[0]
        for kind, fund_id in (("principal", FUND), ("interest", ACTIVITY))
        for month, flows in funds[fund_id].open_months.items()
        if flows[0]  # a month whose interest all moved to principal shows none
    }


def reference_flows() -> dict[tuple[str, date], int]:
    """The treasurer's statement from the paper book: each receipt pays the oldest interest,
    then that installment's principal, in the order the cash came in."""
    dues = [[15_000, 1_000_000] for _ in range(3)]  # [interest, principal] left per installment
    out: dict[tuple[str, date], int] = {}
    for _id, on, paid in sorted(BOOK, key=lambda r: r[1]):
        month, amount = on.replace(day=1), paid
        for due in dues:
            for part, kind in ((0, "interest"), (1, "principal")):
                take = min(amount, due[part])
                due[part] -= take
                amount -= take
                if take:
                    out[(kind, month)] = out.get((kind, month), 0) + take
    return out


def test_every_entry_order_of_a_book_gives_the_treasurers_monthly_statement() -> None:
    want = reference_flows()
    for order in permutations(BOOK):
        assert monthly_flows(list(order)) == want, order
