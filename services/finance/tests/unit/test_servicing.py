"""Repayments, arrears ageing with pauses, write-off, a deceased borrower (given/when/then)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from finance.application.aggregates import LOAN as LOAN_AGG
from finance.domain import servicing
from finance.domain.errors import (
    BeforePreviousStep,
    InvalidPeriod,
    InvalidState,
    Overpayment,
    PauseOverlaps,
    WrongDecision,
)
from finance.domain.loan import DecisionFact
from ishc_contracts.finance.commands import PauseDelinquency, PostRepayment, WriteOffLoan
from ishc_contracts.finance.events import (
    DeceasedBorrowerCaseOpened,
    DelinquencyPaused,
    InterestAllocatedToActivityFund,
    LoanBecameCurrent,
    LoanBecameOverdue,
    LoanPrincipalReturned,
    LoanRepaid,
    LoanWrittenOff,
    RepaymentReceived,
)
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.testing.specs import spec

from .given import ACTIVE, CLUB, DECISION, FUND, LOAN, MEETING, MEMBER

pytestmark = pytest.mark.unit

PAYMENT = UUID(int=50)
EARLIER = UUID(int=49)  # a repayment already recorded
TODAY = date(2026, 2, 20)  # when the secretary keys the repayment in


def pay(amount: int, on: date = date(2026, 2, 15)) -> PostRepayment:
    return PostRepayment(loan_id=LOAN, repayment_id=PAYMENT, received_on=on, amount=amount)


def received(
    principal: int, interest: int, on: date = date(2026, 2, 15), repayment_id: UUID = PAYMENT
) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=repayment_id,
        received_on=on,
        principal=principal,
        interest=interest,
    )


def overdue(
    as_of: date,
    days: int,
    bucket: str,
    installment: int = 1,
    principal: int = 1_000_000,
    interest: int = 15_000,
) -> LoanBecameOverdue:
    return LoanBecameOverdue(
        loan_id=LOAN,
        club_id=CLUB,
        member_id=MEMBER,
        as_of=as_of,
        installment=installment,
        days_overdue=days,
        bucket=bucket,
        overdue_principal=principal,
        overdue_interest=interest,
        outstanding_principal=3_000_000,
    )


def test_cash_pays_interest_before_principal_oldest_installment_first() -> None:
    ACTIVE.when(lambda s: servicing.repay(s, pay(20_000), TODAY)).then(received(5_000, 15_000))
    ACTIVE.when(lambda s: servicing.repay(s, pay(1_030_000), TODAY)).then(
        received(1_000_000, 30_000)
    )


def test_the_last_payment_closes_the_loan() -> None:
    ACTIVE.given(received(2_000_000, 30_000, repayment_id=EARLIER)).when(
        lambda s: servicing.repay(s, pay(1_015_000, date(2026, 4, 15)), TODAY)
    ).then(
        received(1_000_000, 15_000, date(2026, 4, 15)),
        LoanRepaid(
            loan_id=LOAN,
            club_id=CLUB,
            member_id=MEMBER,
            repaid_on=date(2026, 4, 15),
            principal=3_000_000,
            interest=45_000,
        ),
    ).then_state(lambda s: s.status == "repaid" and s.outstanding_principal == 0)


def test_overpayment_is_refused_naming_the_amount() -> None:
    error = ACTIVE.when(lambda s: servicing.repay(s, pay(3_045_001), TODAY)).then_raises(
        Overpayment, field="amount"
    )
    assert error.extra == {"owed": 3_045_000}


def test_a_closed_loan_takes_no_repayment() -> None:
    closed = ACTIVE.given(
        received(3_000_000, 45_000, repayment_id=EARLIER),
        LoanRepaid(
            loan_id=LOAN,
            club_id=CLUB,
            member_id=MEMBER,
            repaid_on=date(2026, 4, 15),
            principal=3_000_000,
            interest=45_000,
        ),
    )
    closed.when(lambda s: servicing.repay(s, pay(1), TODAY)).then_raises(
        InvalidState, field="loan_id"
    )
    spec(LOAN_AGG).when(lambda s: servicing.repay(s, pay(1), TODAY)).then_raises(
        InvalidState, field="loan_id"
    )


def test_nothing_is_overdue_on_the_due_date_itself() -> None:
    ACTIVE.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 2, 15))).then_nothing()


def test_a_missed_installment_is_one_day_overdue_the_day_after() -> None:
    ACTIVE.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 2, 16))).then(
        overdue(date(2026, 2, 16), 1, "1-30")
    )


def test_the_loan_moves_bucket_on_day_31_and_not_before() -> None:
    late = ACTIVE.given(overdue(date(2026, 2, 16), 1, "1-30"))
    late.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 3, 17))).then_nothing()
    # 18 March: the 15 Feb installment is 31 days late; the 15 March one is due too.
    late.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 3, 18))).then(
        overdue(date(2026, 3, 18), 31, "31-60", principal=2_000_000, interest=30_000)
    )
    assert servicing.next_assessment(late.state, date(2026, 2, 16)) == date(2026, 3, 18)


def test_paused_days_do_not_count() -> None:
    paused = ACTIVE.given(
        overdue(date(2026, 2, 16), 1, "1-30"),
        DelinquencyPaused(
            loan_id=LOAN,
            club_id=CLUB,
            starts_on=date(2026, 2, 20),
            ends_on=date(2026, 3, 1),
            reason="disaster",
        ),
    )
    paused.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 3, 18))).then_nothing()
    assert servicing.next_assessment(paused.state, date(2026, 3, 18)) == date(2026, 3, 28)
    paused.when(lambda s: servicing.assess_arrears(s, LOAN, date(2026, 3, 28))).then(
        overdue(date(2026, 3, 28), 31, "31-60", principal=2_000_000, interest=30_000)
    )


def test_paying_what_is_due_brings_the_loan_back_to_current() -> None:
    ACTIVE.given(overdue(date(2026, 2, 16), 1, "1-30")).when(
        lambda s: servicing.repay(s, pay(1_015_000, date(2026, 2, 20)), TODAY)
    ).then(
        received(1_000_000, 15_000, date(2026, 2, 20)),
        LoanBecameCurrent(loan_id=LOAN, club_id=CLUB, as_of=date(2026, 2, 20)),
    )


def test_pauses_never_overlap() -> None:
    first = DelinquencyPaused(
        loan_id=LOAN,
        club_id=CLUB,
        starts_on=date(2026, 2, 20),
        ends_on=date(2026, 3, 1),
        reason="illness",
    )
    again = PauseDelinquency(
        loan_id=LOAN, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 5), reason="illness"
    )
    ACTIVE.given(first).when(lambda s: servicing.pause(s, again)).then_raises(
        PauseOverlaps, field="starts_on"
    )


def test_a_pause_ends_on_or_after_its_start() -> None:
    backwards = PauseDelinquency(
        loan_id=LOAN, starts_on=date(2026, 3, 5), ends_on=date(2026, 3, 1), reason="illness"
    )
    ACTIVE.when(lambda s: servicing.pause(s, backwards)).then_raises(InvalidPeriod, field="ends_on")


def test_write_off_needs_a_write_off_decision() -> None:
    cmd = WriteOffLoan(
        loan_id=LOAN, decision_id=DECISION, written_off_on=date(2026, 5, 1), reason="death"
    )
    wrong = DecisionFact(MEETING, CLUB, "loan_approval", LOAN)
    ACTIVE.when(lambda s: servicing.write_off(s, cmd, wrong)).then_raises(
        WrongDecision, field="decision_id"
    )
    right = DecisionFact(MEETING, CLUB, "loan_write_off", LOAN)
    ACTIVE.given(received(5_000, 15_000)).when(lambda s: servicing.write_off(s, cmd, right)).then(
        LoanWrittenOff(
            loan_id=LOAN,
            club_id=CLUB,
            fund_id=FUND,
            written_off_on=date(2026, 5, 1),
            principal=2_995_000,
            interest=30_000,
            reason="death",
            meeting_id=MEETING,
            decision_id=DECISION,
        )
    )


def test_a_deceased_borrowers_case_opens_once() -> None:
    case = DeceasedBorrowerCaseOpened(
        loan_id=LOAN,
        club_id=CLUB,
        member_id=MEMBER,
        died_on=date(2026, 3, 1),
        outstanding_principal=3_000_000,
        outstanding_interest=45_000,
    )
    ACTIVE.when(lambda s: servicing.open_deceased_case(s, LOAN, date(2026, 3, 1))).then(case)
    ACTIVE.given(case).when(
        lambda s: servicing.open_deceased_case(s, LOAN, date(2026, 3, 1))
    ).then_nothing()


def test_the_same_repayment_uploaded_again_appends_nothing() -> None:
    ACTIVE.given(received(1_000_000, 15_000)).when(
        lambda s: servicing.repay(s, pay(1_015_000), TODAY)
    ).then_nothing()


def test_a_loan_is_repaid_on_the_day_of_its_latest_receipt_whatever_the_entry_order() -> None:
    # April's installment was typed in before March's: the loan closes on 15 April.
    ACTIVE.given(
        received(1_000_000, 15_000, date(2026, 2, 15), UUID(int=47)),
        received(1_000_000, 15_000, date(2026, 4, 15), UUID(int=48)),
    ).when(lambda s: servicing.repay(s, pay(1_015_000, date(2026, 3, 15)), TODAY)).then(
        received(1_000_000, 15_000, date(2026, 3, 15)),
        LoanRepaid(
            loan_id=LOAN,
            club_id=CLUB,
            member_id=MEMBER,
            repaid_on=date(2026, 4, 15),
            principal=3_000_000,
            interest=45_000,
        ),
    )


def cash_split(principal: int, interest: int, penalty: int) -> RepaymentReceived:
    return RepaymentReceived(
        loan_id=LOAN,
        club_id=CLUB,
        fund_id=FUND,
        repayment_id=UUID(int=77),
        received_on=date(2026, 3, 5),
        principal=principal,
        interest=interest,
        penalty=penalty,
    )


def test_a_repayment_returns_principal_and_penalty_to_its_fund_and_interest_to_activity() -> None:
    returned, interest = servicing.repayment_postings(cash_split(80_000, 5_000, 2_000))

    assert returned == LoanPrincipalReturned(
        fund_id=FUND,
        club_id=CLUB,
        loan_id=LOAN,
        repayment_id=UUID(int=77),
        principal=80_000,
        penalty=2_000,
        received_on=date(2026, 3, 5),
    )
    assert interest == InterestAllocatedToActivityFund(
        fund_id=fund_id_for(CLUB, "activity"),
        club_id=CLUB,
        loan_id=LOAN,
        repayment_id=UUID(int=77),
        amount=5_000,
        received_on=date(2026, 3, 5),
    )


def test_a_repayment_of_interest_only_posts_nothing_to_the_revolving_fund() -> None:
    returned, interest = servicing.repayment_postings(cash_split(0, 5_000, 0))

    assert returned is None
    assert interest is not None and interest.amount == 5_000


def test_a_penalty_alone_still_goes_back_to_the_revolving_fund() -> None:
    returned, interest = servicing.repayment_postings(cash_split(0, 0, 3_000))

    assert returned is not None and (returned.principal, returned.penalty) == (0, 3_000)
    assert interest is None


def test_a_repayment_dated_before_the_disbursement_is_refused_naming_its_date() -> None:
    ACTIVE.when(lambda s: servicing.repay(s, pay(100_000, date(2026, 1, 14)), TODAY)).then_raises(
        BeforePreviousStep, field="received_on"
    )
