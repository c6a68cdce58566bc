"""The fund: cash never negative, postings always sum to the balance (property test)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finance.application.aggregates import FUND
from finance.domain import fund
from finance.domain.errors import FundLimitReached, InsufficientCash, InvalidState
from finance.domain.rules import FUND_INFLOW_LIMITS
from ishc_contracts import Event
from ishc_contracts.finance.events import (
    FundCapitalised,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MutualAidGranted,
)
from ishc_contracts.finance.postings import posting
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit

CLUB, FUND_ID, LOAN, MEMBER = (UUID(int=n) for n in (1, 2, 3, 4))
ON = date(2026, 3, 21)


def capital(amount: int, club: UUID = CLUB) -> FundCapitalised:
    return FundCapitalised(
        fund_id=FUND_ID,
        club_id=club,
        fund_type="income_generation",
        amount=amount,
        source="project",
        received_on=ON,
    )


def fee(amount: int) -> MembershipFeeReceived:
    return MembershipFeeReceived(
        fund_id=FUND_ID,
        club_id=CLUB,
        fee_id=uuid4(),
        member_id=MEMBER,
        amount=amount,
        received_on=ON,
    )


def test_a_disbursement_within_cash_posts_it_out() -> None:
    (
        spec(FUND)
        .given(capital(10_000_000))
        .when(lambda s: fund.disburse(s, FUND_ID, CLUB, LOAN, MEMBER, 10_000_000, ON))
        .then_state(lambda s: s.cash == 0 and s.total_out == 10_000_000)
    )


def test_a_disbursement_above_cash_is_refused_naming_the_principal() -> None:
    error = (
        spec(FUND)
        .given(capital(3_000_000))
        .when(lambda s: fund.disburse(s, FUND_ID, CLUB, LOAN, MEMBER, 3_000_001, ON))
        .then_raises(InsufficientCash, field="principal")
    )
    assert error.extra == {"available": 3_000_000}


def test_aid_above_cash_is_refused() -> None:
    grant = MutualAidGranted(
        fund_id=FUND_ID,
        club_id=CLUB,
        grant_id=LOAN,
        member_id=MEMBER,
        amount=1,
        reason="illness",
        granted_on=ON,
    )
    spec(FUND).when(lambda s: fund.grant_aid(s, grant)).then_raises(
        InsufficientCash, field="amount"
    )


def test_money_in_up_to_the_lifetime_ceiling_is_taken_and_beyond_it_refused() -> None:
    limit = FUND_INFLOW_LIMITS["income_generation"]
    (
        spec(FUND)
        .given(capital(limit - 1))
        .when(lambda s: fund.capitalise(s, capital(1)))
        .then_state(lambda s: s.total_in == limit)
    )
    error = (
        spec(FUND)
        .given(capital(limit - 1))
        .when(lambda s: fund.capitalise(s, capital(2)))
        .then_raises(FundLimitReached, field="amount")
    )
    assert error.extra == {"limit": limit}


def test_the_ceiling_counts_money_in_not_the_balance() -> None:
    limit = FUND_INFLOW_LIMITS["income_generation"]
    (
        spec(FUND)
        .given(
            capital(limit),
            LoanCashDisbursed(
                fund_id=FUND_ID,
                club_id=CLUB,
                loan_id=LOAN,
                member_id=MEMBER,
                amount=limit,
                disbursed_on=ON,
            ),
        )
        .when(lambda s: fund.receive_fee(s, fee(1)))
        .then_raises(FundLimitReached, field="amount")
    )


def test_a_fund_belongs_to_one_club() -> None:
    (
        spec(FUND)
        .given(capital(1_000))
        .when(lambda s: fund.capitalise(s, capital(1_000, club=UUID(int=9))))
        .then_raises(InvalidState, field="club_id")
    )


# Any sequence of commands: refused ones append nothing, accepted ones keep the ledger whole.
step = st.tuples(
    st.sampled_from(["capital", "fee", "disburse", "return", "interest", "aid"]),
    st.integers(min_value=1, max_value=50_000_000),
)


def decide(state: fund.Fund, kind: str, amount: int) -> list[Event]:
    match kind:
        case "capital":
            return fund.capitalise(state, capital(amount))
        case "fee":
            return fund.receive_fee(state, fee(amount))
        case "disburse":
            return fund.disburse(state, FUND_ID, CLUB, uuid4(), MEMBER, amount, ON)
        case "return":
            return fund.receive(
                state,
                LoanPrincipalReturned(
                    fund_id=FUND_ID,
                    club_id=CLUB,
                    loan_id=LOAN,
                    repayment_id=uuid4(),
                    principal=amount,
                    received_on=ON,
                ),
            )
        case "interest":
            return fund.receive(
                state,
                InterestAllocatedToActivityFund(
                    fund_id=FUND_ID,
                    club_id=CLUB,
                    loan_id=LOAN,
                    repayment_id=uuid4(),
                    amount=amount,
                    received_on=ON,
                ),
            )
    return fund.grant_aid(
        state,
        MutualAidGranted(
            fund_id=FUND_ID,
            club_id=CLUB,
            grant_id=uuid4(),
            member_id=MEMBER,
            amount=amount,
            reason="disaster",
            granted_on=ON,
        ),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=40))
def test_any_command_sequence_keeps_cash_non_negative_and_the_ledger_balanced(
    steps: list[tuple[str, int]],
) -> None:
    state, history = FUND.initial, []
    for kind, amount in steps:
        try:
            events = decide(state, kind, amount)
        except InsufficientCash:
            continue
        for event in events:
            state = FUND.evolve(state, event)
            history.append(event)
        assert state.cash >= 0
    assert sum(posting(e) for e in history) == state.cash
    assert state.total_in - state.total_out == state.cash
    assert state.postings == len(history)
