"""A repayment across its streams (given/when/then): the loan, the revolving fund, the
activity fund and the borrower, decided at once from their states."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from finance.application.aggregates import BORROWER, FUND
from finance.domain import repayment
from ishc_contracts.finance.commands import PostRepayment
from ishc_contracts.finance.events import (
    BorrowerLoanClosed,
    BorrowerLoanOpened,
    FundCapitalised,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    LoanRepaid,
    RepaymentReceived,
)
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.testing.specs import spec

from .given import ACTIVE, CLUB, LOAN, MEMBER
from .given import FUND as REVOLVING_ID

pytestmark = pytest.mark.unit

ACTIVITY_ID = fund_id_for(CLUB, "activity")
REVOLVING = spec(FUND).given(
    FundCapitalised(
        fund_id=REVOLVING_ID, club_id=CLUB, fund_type="income_generation", amount=5_000_000,
        source="project", received_on=date(2026, 1, 5),
    ),
    LoanCashDisbursed(
        fund_id=REVOLVING_ID, club_id=CLUB, loan_id=LOAN, member_id=MEMBER, amount=3_000_000,
        disbursed_on=date(2026, 1, 15),
    ),
).state  # fmt: skip
ACTIVITY = spec(FUND).state
HOLDING = (
    spec(BORROWER)
    .given(
        BorrowerLoanOpened(
            member_id=MEMBER, club_id=CLUB, loan_id=LOAN, opened_on=date(2026, 1, 10)
        )
    )
    .state
)


def pay(amount: int, received_on: date, number: int) -> repayment.Repayment:
    cmd = PostRepayment(
        loan_id=LOAN, repayment_id=UUID(int=90 + number), received_on=received_on, amount=amount
    )
    return repayment.repay(ACTIVE.state, REVOLVING, ACTIVITY, HOLDING, cmd, received_on)


def test_principal_goes_to_the_revolving_fund_and_interest_to_the_activity_fund() -> None:
    decided = pay(1_015_000, date(2026, 2, 15), 1)

    assert [type(e) for e in decided.loan] == [RepaymentReceived]
    assert decided.revolving_fund == [
        LoanPrincipalReturned(
            fund_id=REVOLVING_ID, club_id=CLUB, loan_id=LOAN, repayment_id=UUID(int=91),
            principal=1_000_000, received_on=date(2026, 2, 15),
        )
    ]  # fmt: skip
    assert decided.activity_fund == [
        InterestAllocatedToActivityFund(
            fund_id=ACTIVITY_ID, club_id=CLUB, loan_id=LOAN, repayment_id=UUID(int=91),
            amount=15_000, received_on=date(2026, 2, 15),
        )
    ]  # fmt: skip
    assert decided.borrower == []


def test_the_repayment_that_repays_the_loan_closes_the_borrowers_loan() -> None:
    decided = pay(3_045_000, date(2026, 4, 15), 2)

    assert LoanRepaid in [type(e) for e in decided.loan]
    assert decided.borrower == [
        BorrowerLoanClosed(
            member_id=MEMBER, club_id=CLUB, loan_id=LOAN, closed_on=date(2026, 4, 15),
            outcome="repaid",
        )
    ]  # fmt: skip
    assert (
        sum(e.principal for e in decided.revolving_fund if isinstance(e, LoanPrincipalReturned))
        == 3_000_000
    )
