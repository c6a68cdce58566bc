"""Applying, approving and disbursing a loan (given/when/then)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from finance.application.aggregates import LOAN as LOAN_AGG
from finance.domain import loan
from finance.domain.errors import (
    AlreadyExists,
    BeforePreviousStep,
    InvalidState,
    LoanLimitReached,
    NotEligible,
    NotFound,
    OutsideProduct,
    WrongDecision,
)
from finance.domain.loan import DecisionFact, MemberFact
from finance.domain.rules import DEFAULT_PRODUCT
from ishc_contracts.finance.commands import ApproveLoan, SubmitLoanApplication
from ishc_runtime.testing.specs import spec

from .given import APPLIED, APPLIED_ON, APPROVED, CLUB, DECISION, ISSUED, LOAN, MEETING, MEMBER

pytestmark = pytest.mark.unit

ACTIVE = MemberFact(CLUB, active=True)
SUBMIT = SubmitLoanApplication(
    loan_id=LOAN,
    club_id=CLUB,
    member_id=MEMBER,
    principal=3_000_000,
    term_months=3,
    purpose="livestock",
    applied_on=APPLIED_ON,
)
APPROVE = ApproveLoan(loan_id=LOAN, decision_id=DECISION, approved_on=date(2026, 1, 15))
DECIDED = DecisionFact(MEETING, CLUB, "loan_approval", LOAN)


def test_an_active_member_applies_for_the_fund_of_their_club() -> None:
    spec(LOAN_AGG).when(lambda s: loan.apply(s, SUBMIT, ACTIVE, 0, DEFAULT_PRODUCT)).then(APPLIED)


def test_the_term_defaults_to_the_product_term() -> None:
    cmd = SUBMIT.model_copy(update={"term_months": None})
    outcome = spec(LOAN_AGG).when(lambda s: loan.apply(s, cmd, ACTIVE, 0, DEFAULT_PRODUCT))
    outcome.then(APPLIED.model_copy(update={"term_months": 12}))


@pytest.mark.parametrize(
    ("member", "active", "cmd", "error", "field"),
    [
        (None, 0, SUBMIT, NotFound, "member_id"),
        (MemberFact(CLUB, active=False), 0, SUBMIT, NotEligible, "member_id"),
        (MemberFact(UUID(int=99), active=True), 0, SUBMIT, NotEligible, "member_id"),
        (ACTIVE, 1, SUBMIT, LoanLimitReached, "member_id"),
        (
            ACTIVE,
            0,
            SUBMIT.model_copy(update={"principal": 40_000_000}),
            OutsideProduct,
            "principal",
        ),
        (ACTIVE, 0, SUBMIT.model_copy(update={"term_months": 24}), OutsideProduct, "term_months"),
        (ACTIVE, 0, SUBMIT.model_copy(update={"purpose": "gambling"}), OutsideProduct, "purpose"),
    ],
)
def test_who_may_borrow_and_what(
    member: MemberFact | None, active: int, cmd: SubmitLoanApplication, error: type, field: str
) -> None:
    spec(LOAN_AGG).when(lambda s: loan.apply(s, cmd, member, active, DEFAULT_PRODUCT)).then_raises(
        error, field=field
    )


def test_a_loan_id_is_applied_for_once() -> None:
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.apply(s, SUBMIT, ACTIVE, 0, DEFAULT_PRODUCT)
    ).then_raises(AlreadyExists, field="loan_id")


def test_approval_takes_the_terms_from_the_product_and_cites_the_decision() -> None:
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.approve(s, APPROVE, DECIDED, DEFAULT_PRODUCT)
    ).then(APPROVED)


@pytest.mark.parametrize(
    ("decision", "error"),
    [
        (None, NotFound),
        (DecisionFact(MEETING, CLUB, "mutual_aid_grant", None), WrongDecision),
        (DecisionFact(MEETING, UUID(int=99), "loan_approval", None), WrongDecision),
        (DecisionFact(MEETING, CLUB, "loan_approval", UUID(int=77)), WrongDecision),
    ],
)
def test_approval_needs_this_clubs_decision_on_this_loan(
    decision: DecisionFact | None, error: type
) -> None:
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.approve(s, APPROVE, decision, DEFAULT_PRODUCT)
    ).then_raises(error, field="decision_id")


def test_approval_cannot_raise_the_principal() -> None:
    cmd = APPROVE.model_copy(update={"principal": 3_000_001})
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.approve(s, cmd, DECIDED, DEFAULT_PRODUCT)
    ).then_raises(OutsideProduct, field="principal")


def test_disbursement_fixes_the_schedule() -> None:
    spec(LOAN_AGG).given(APPLIED, APPROVED).when(
        lambda s: loan.issue(s, LOAN, date(2026, 1, 15), None)
    ).then(ISSUED).then_state(lambda s: s.status == "active")


def test_only_an_approved_loan_is_disbursed() -> None:
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.issue(s, LOAN, date(2026, 1, 15), None)
    ).then_raises(InvalidState, field="loan_id")


def test_an_approval_dated_before_the_application_is_refused_naming_its_date() -> None:
    early = APPROVE.model_copy(update={"approved_on": date(2026, 1, 9)})
    spec(LOAN_AGG).given(APPLIED).when(
        lambda s: loan.approve(s, early, DECIDED, DEFAULT_PRODUCT)
    ).then_raises(BeforePreviousStep, field="approved_on")


def test_a_disbursement_dated_before_the_approval_is_refused_naming_its_date() -> None:
    spec(LOAN_AGG).given(APPLIED, APPROVED).when(
        lambda s: loan.issue(s, LOAN, date(2026, 1, 14), None)
    ).then_raises(BeforePreviousStep, field="disbursed_on")


def test_a_disbursement_on_the_approval_day_is_taken() -> None:
    spec(LOAN_AGG).given(APPLIED, APPROVED).when(
        lambda s: loan.issue(s, LOAN, date(2026, 1, 15), None)
    ).then_state(lambda s: s.status == "active" and s.disbursed_on == date(2026, 1, 15))
