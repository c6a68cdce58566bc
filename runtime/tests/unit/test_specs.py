"""The given/when/then helper itself: it must fail when the domain does something else."""

from __future__ import annotations

import pytest

from ishc_contracts.errors import InvalidState
from ishc_runtime.testing.sample_domain import (
    ACCOUNT,
    AccountOpened,
    Deposited,
    Overdrawn,
    deposit,
    withdraw,
)
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit


def test_then_passes_on_the_expected_events() -> None:
    spec(ACCOUNT).given(AccountOpened(owner="Lan")).when(lambda s: deposit(s, 5)).then(
        Deposited(amount=5)
    ).then_state(lambda s: s.balance == 5)


def test_then_fails_on_other_events() -> None:
    outcome = spec(ACCOUNT).given(AccountOpened(owner="Lan")).when(lambda s: deposit(s, 5))
    with pytest.raises(AssertionError):
        outcome.then(Deposited(amount=6))


def test_then_raises_checks_type_and_field() -> None:
    outcome = spec(ACCOUNT).given(AccountOpened(owner="Lan")).when(lambda s: withdraw(s, 1))
    outcome.then_raises(Overdrawn, field="amount", match="less than")
    with pytest.raises(AssertionError):
        outcome.then_raises(InvalidState)
    with pytest.raises(AssertionError):
        outcome.then(Deposited(amount=1))
