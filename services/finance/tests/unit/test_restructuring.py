"""Rescheduling the unpaid part, recoveries, month close, in-kind pass-on (given/when/then)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from finance.application.aggregates import ASSET, FUND
from finance.domain import asset, fund, restructuring
from finance.domain.errors import AlreadyExists, InvalidState, NotEligible, Overpayment
from finance.domain.loan import MemberFact
from ishc_contracts.finance.commands import (
    LendInKindAsset,
    PassOnAsset,
    PostRecovery,
    RescheduleLoan,
)
from ishc_contracts.finance.events import (
    FundCapitalised,
    InKindAssetLent,
    InKindAssetPassedOn,
    InKindPassOnOverdue,
    Installment,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    LoanRescheduled,
    LoanWrittenOff,
    MonthClosed,
    RecoveryReceived,
    RepaymentReceived,
)
from ishc_runtime.testing.specs import spec

from .given import ACTIVE, APPLIED, APPROVED, CLUB, DECISION, LOAN, MEETING, MEMBER
from .given import FUND as FUND_ID

pytestmark = pytest.mark.unit


def test_rescheduling_keeps_what_was_paid_and_spreads_the_unpaid_principal() -> None:
    # Paid 1,015,000 (installment 1) + 20,000 (15,000 interest, 5,000 principal of #2).
    paid = RepaymentReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND_ID,
        repayment_id=UUID(int=60),
        received_on=date(2026, 3, 15),
        principal=1_005_000,
        interest=30_000,
    )
    cmd = RescheduleLoan(
        loan_id=LOAN, rescheduled_on=date(2026, 3, 20), term_months=2, reason="drought"
    )
    # Unpaid principal 1,995,000 over 2 months: 997,500 each; flat 0.5 % = 9,975 a month.
    ACTIVE.given(paid).when(lambda s: restructuring.reschedule(s, cmd, 21)).then(
        LoanRescheduled(
            loan_id=LOAN,
            club_id=CLUB,
            rescheduled_on=date(2026, 3, 20),
            reason="drought",
            unpaid_principal=1_995_000,
            schedule=(
                Installment(
                    number=1, due_on=date(2026, 2, 15), principal=1_000_000, interest=15_000
                ),
                Installment(number=2, due_on=date(2026, 3, 15), principal=5_000, interest=15_000),
                Installment(number=3, due_on=date(2026, 4, 21), principal=997_500, interest=9_975),
                Installment(number=4, due_on=date(2026, 5, 21), principal=997_500, interest=9_975),
            ),
        )
    ).then_state(lambda s: s.outstanding_principal == 1_995_000 and s.bucket is None)


def test_only_an_active_loan_is_rescheduled() -> None:
    cmd = RescheduleLoan(loan_id=LOAN, rescheduled_on=date(2026, 3, 20), term_months=2, reason="x")
    spec(ACTIVE.aggregate).given(APPLIED, APPROVED).when(
        lambda s: restructuring.reschedule(s, cmd, None)
    ).then_raises(InvalidState, field="loan_id")


WRITTEN_OFF = ACTIVE.given(
    LoanWrittenOff(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND_ID,
        written_off_on=date(2026, 6, 1),
        principal=3_000_000,
        interest=45_000,
        reason="death",
        meeting_id=MEETING,
        decision_id=DECISION,
    )
)


def test_a_recovery_after_write_off_is_capped_by_what_was_written_off() -> None:
    first = PostRecovery(
        loan_id=LOAN, recovery_id=UUID(int=70), amount=1_000_000, received_on=date(2026, 8, 1)
    )
    WRITTEN_OFF.when(lambda s: restructuring.recover(s, first)).then(
        RecoveryReceived(
            loan_id=LOAN,
            club_id=CLUB,
            fund_id=FUND_ID,
            recovery_id=UUID(int=70),
            amount=1_000_000,
            received_on=date(2026, 8, 1),
        )
    )
    too_much = first.model_copy(update={"amount": 3_045_001})
    WRITTEN_OFF.when(lambda s: restructuring.recover(s, too_much)).then_raises(
        Overpayment, field="amount"
    )
    ACTIVE.when(lambda s: restructuring.recover(s, first)).then_raises(
        InvalidState, field="loan_id"
    )


def test_a_recovery_goes_back_to_the_loans_revolving_fund_as_principal() -> None:
    received = RecoveryReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND_ID,
        recovery_id=UUID(int=71),
        amount=400_000,
        received_on=date(2026, 8, 3),
    )

    posting = restructuring.recovery_posting(received)

    assert posting == LoanPrincipalReturned(
        fund_id=FUND_ID,
        club_id=CLUB,
        loan_id=LOAN,
        repayment_id=UUID(int=71),
        principal=400_000,
        penalty=0,
        received_on=date(2026, 8, 3),
    )


CAPITAL = FundCapitalised(
    fund_id=FUND_ID,
    club_id=CLUB,
    fund_type="income_generation",
    amount=10_000_000,
    source="project",
    received_on=date(2026, 1, 5),
)
OUT = LoanCashDisbursed(
    fund_id=FUND_ID,
    club_id=CLUB,
    loan_id=LOAN,
    member_id=MEMBER,
    amount=3_000_000,
    disbursed_on=date(2026, 2, 10),
)


def test_closing_the_books_carries_the_balance_and_locks_the_month() -> None:
    jan = MonthClosed(
        fund_id=FUND_ID,
        club_id=CLUB,
        month=date(2026, 1, 1),
        opening=0,
        inflow=10_000_000,
        outflow=0,
        closing=10_000_000,
    )
    books = spec(FUND).given(CAPITAL, OUT)
    books.when(lambda s: fund.close_books(s, FUND_ID, date(2026, 1, 31))).then(jan)
    closed = books.given(jan)
    closed.when(lambda s: fund.close_books(s, FUND_ID, date(2026, 2, 28))).then(
        MonthClosed(
            fund_id=FUND_ID,
            club_id=CLUB,
            month=date(2026, 2, 1),
            opening=10_000_000,
            inflow=0,
            outflow=3_000_000,
            closing=7_000_000,
        )
    )
    late = CAPITAL.model_copy(update={"received_on": date(2026, 1, 30)})
    closed.when(lambda s: fund.capitalise(s, late)).then_raises(InvalidState, field="received_on")
    closed.when(lambda s: fund.close_books(s, FUND_ID, date(2026, 1, 1))).then_raises(
        InvalidState, field="month"
    )
    spec(FUND).when(lambda s: fund.close_books(s, FUND_ID, date(2026, 1, 1))).then_nothing()


ASSET_ID, NEXT_ID, NEIGHBOUR = UUID(int=80), UUID(int=81), UUID(int=82)
LEND = LendInKindAsset(
    asset_id=ASSET_ID,
    club_id=CLUB,
    member_id=MEMBER,
    asset_type="cow",
    value=15_000_000,
    lent_on=date(2026, 1, 10),
    pass_on_due=date(2027, 6, 1),
)
LENT = InKindAssetLent(**LEND.model_dump())


def test_a_breeding_cow_is_lent_to_an_active_member() -> None:
    spec(ASSET).when(lambda s: asset.lend(s, LEND, MemberFact(CLUB, active=True))).then(LENT)
    spec(ASSET).when(lambda s: asset.lend(s, LEND, MemberFact(CLUB, active=False))).then_raises(
        NotEligible, field="member_id"
    )
    spec(ASSET).given(LENT).when(
        lambda s: asset.lend(s, LEND, MemberFact(CLUB, active=True))
    ).then_raises(AlreadyExists, field="asset_id")


def test_the_calf_passed_on_is_a_new_asset_owed_onwards() -> None:
    cmd = PassOnAsset(
        asset_id=ASSET_ID,
        to_member_id=NEIGHBOUR,
        next_asset_id=NEXT_ID,
        passed_on=date(2027, 5, 1),
        next_pass_on_due=date(2028, 9, 1),
    )
    held = spec(ASSET).given(LENT).state
    events = asset.pass_on(held, ASSET.initial, cmd, MemberFact(CLUB, active=True))
    assert events == {
        "held": [
            InKindAssetPassedOn(
                asset_id=ASSET_ID,
                club_id=CLUB,
                member_id=MEMBER,
                to_member_id=NEIGHBOUR,
                next_asset_id=NEXT_ID,
                passed_on=date(2027, 5, 1),
            )
        ],
        "next": [
            InKindAssetLent(
                asset_id=NEXT_ID,
                club_id=CLUB,
                member_id=NEIGHBOUR,
                asset_type="cow",
                value=0,
                lent_on=date(2027, 5, 1),
                pass_on="offspring",
                pass_on_due=date(2028, 9, 1),
                previous_asset_id=ASSET_ID,
            )
        ],
    }
    with pytest.raises(InvalidState):
        asset.pass_on(ASSET.initial, ASSET.initial, cmd, MemberFact(CLUB, active=True))
    back = cmd.model_copy(update={"to_member_id": MEMBER})
    with pytest.raises(InvalidState):
        asset.pass_on(held, ASSET.initial, back, MemberFact(CLUB, active=True))


def test_a_pass_on_not_made_by_its_due_date_is_overdue_once() -> None:
    held = spec(ASSET).given(LENT)
    held.when(lambda s: asset.check_pass_on(s, ASSET_ID, date(2027, 6, 1))).then_nothing()
    overdue = InKindPassOnOverdue(
        asset_id=ASSET_ID,
        club_id=CLUB,
        member_id=MEMBER,
        pass_on_due=date(2027, 6, 1),
        as_of=date(2027, 6, 2),
    )
    held.when(lambda s: asset.check_pass_on(s, ASSET_ID, date(2027, 6, 2))).then(overdue)
    held.given(overdue).when(
        lambda s: asset.check_pass_on(s, ASSET_ID, date(2027, 7, 2))
    ).then_nothing()
