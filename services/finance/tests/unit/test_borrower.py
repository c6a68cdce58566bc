"""The borrower stream: the loans a member holds open, and rejecting an application."""

from __future__ import annotations

from datetime import date

import pytest

from finance.application.aggregates import BORROWER
from finance.application.aggregates import LOAN as LOAN_AGG
from finance.domain import borrower, loan
from finance.domain.errors import InvalidState
from ishc_contracts.finance.commands import RejectLoanApplication
from ishc_contracts.finance.events import (
    BorrowerLoanClosed,
    BorrowerLoanOpened,
    LoanApplicationRejected,
)
from ishc_runtime.testing.specs import spec

from .given import ACTIVE, APPLIED, CLUB, LOAN, MEMBER

pytestmark = pytest.mark.unit

OPENED = BorrowerLoanOpened(
    member_id=MEMBER, club_id=CLUB, loan_id=LOAN, opened_on=date(2026, 1, 10)
)
CLOSED = BorrowerLoanClosed(
    member_id=MEMBER, club_id=CLUB, loan_id=LOAN, closed_on=date(2026, 4, 15), outcome="repaid"
)


def test_a_loan_counts_from_application_until_it_closes() -> None:
    assert borrower.open_loan(MEMBER, CLUB, LOAN, date(2026, 1, 10)) == [OPENED]
    held = spec(BORROWER).given(OPENED)
    assert held.state.open_loans == (LOAN,)
    held.when(
        lambda s: borrower.close_loan(s, MEMBER, CLUB, LOAN, date(2026, 4, 15), "repaid")
    ).then(CLOSED).then_state(lambda s: s.open_loans == ())


def test_closing_a_loan_not_held_is_nothing() -> None:
    spec(BORROWER).when(
        lambda s: borrower.close_loan(s, MEMBER, CLUB, LOAN, date(2026, 4, 15), "repaid")
    ).then_nothing()


def test_an_application_may_be_rejected_until_disbursed() -> None:
    cmd = RejectLoanApplication(loan_id=LOAN, rejected_on=date(2026, 1, 20), reason="no quorum")
    spec(LOAN_AGG).given(APPLIED).when(lambda s: loan.reject(s, cmd)).then(
        LoanApplicationRejected(
            loan_id=LOAN,
            club_id=CLUB,
            member_id=MEMBER,
            rejected_on=date(2026, 1, 20),
            reason="no quorum",
        )
    ).then_state(lambda s: s.status == "rejected")
    ACTIVE.when(lambda s: loan.reject(s, cmd)).then_raises(InvalidState, field="loan_id")
