"""Shared givens for loan specs: a 3-month flat loan of 3,000,000 at 0.5 %/month."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from finance.application.aggregates import LOAN as LOAN_AGGREGATE
from finance.domain.loan import Loan
from ishc_contracts.finance.events import Installment, LoanApplied, LoanApproved, LoanIssued
from ishc_contracts.finance.ids import fund_id_for
from ishc_runtime.testing.specs import Spec, spec

CLUB, MEMBER, LOAN, MEETING, DECISION = (UUID(int=n) for n in (1, 2, 3, 4, 5))
FUND = fund_id_for(CLUB, "income_generation")
APPLIED_ON = date(2026, 1, 10)

APPLIED = LoanApplied(
    loan_id=LOAN,
    club_id=CLUB,
    fund_id=FUND,
    member_id=MEMBER,
    principal=3_000_000,
    term_months=3,
    purpose="livestock",
    applied_on=APPLIED_ON,
)
APPROVED = LoanApproved(
    loan_id=LOAN,
    club_id=CLUB,
    principal=3_000_000,
    term_months=3,
    interest_method="flat",
    monthly_interest_bp=50,
    grace_months=0,
    approved_on=date(2026, 1, 15),
    meeting_id=MEETING,
    decision_id=DECISION,
    product_version=0,
)
# Due 15 Feb, 15 Mar, 15 Apr: 1,015,000 each.
ISSUED = LoanIssued(
    loan_id=LOAN,
    club_id=CLUB,
    fund_id=FUND,
    member_id=MEMBER,
    principal=3_000_000,
    disbursed_on=date(2026, 1, 15),
    schedule=tuple(
        Installment(number=n, due_on=date(2026, 1 + n, 15), principal=1_000_000, interest=15_000)
        for n in (1, 2, 3)
    ),
)

ACTIVE: Spec[Loan] = spec(LOAN_AGGREGATE).given(APPLIED, APPROVED, ISSUED)
