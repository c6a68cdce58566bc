"""Every finance event reaches a read model (an unhandled event is skipped silently, so a
missing handler shows only as a read model that stops moving)."""

from __future__ import annotations

import pytest

from finance.definition import definition
from ishc_contracts.finance import EVENTS
from ishc_contracts.finance.events import (
    BorrowerLoanClosed,
    BorrowerLoanOpened,
    LoanProductDefined,
)

pytestmark = pytest.mark.unit

# Facts that no read model needs yet: their streams are their record (the borrower stream
# mirrors the loan book's statuses for the write side).
NOT_PROJECTED = {
    e.wire_name() for e in (LoanProductDefined, BorrowerLoanOpened, BorrowerLoanClosed)
}


def test_every_finance_event_is_projected_somewhere() -> None:
    # connection handlers and pure writers alike
    missing = {
        e.wire_name()
        for e in EVENTS
        if not any(p.handles(e.wire_name()) for p in definition().projections)
    }
    missing -= NOT_PROJECTED
    assert missing == set()


def test_projections_are_named_for_the_service_and_declare_their_tables() -> None:
    for projection in definition().projections:
        assert projection.name.startswith("finance_")
        assert projection.tables
        assert projection.policy == "stop"
