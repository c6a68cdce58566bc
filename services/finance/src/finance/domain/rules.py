"""Policy parameters as data: the built-in default loan product and the arrears buckets.

A club's own product (LoanProductDefined, versioned, effective-dated) replaces the default;
the default is the reference's "D" value (flat 0.5 %/month, 12 months, monthly), to be
confirmed with club charters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ishc_contracts.finance.events import ArrearsBucket, FundType, InterestMethod


class ProductTerms(BaseModel):
    """One version of a club's loan product."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=0)
    effective_from: date
    purposes: tuple[str, ...]
    min_principal: int
    max_principal: int
    term_months: int
    interest_method: InterestMethod
    monthly_interest_bp: int
    grace_months: int = 0
    arrears_tolerance: int = 0
    max_active_loans_per_member: int = 1


DEFAULT_PRODUCT = ProductTerms(
    version=0,
    effective_from=date(2000, 1, 1),
    purposes=("livestock", "crops", "small_business", "other"),
    min_principal=500_000,
    max_principal=30_000_000,
    term_months=12,
    interest_method="flat",
    monthly_interest_bp=50,
    grace_months=0,
    arrears_tolerance=0,
    max_active_loans_per_member=1,
)

# What one fund may take in over its whole life (VND): every sum a read model keeps of a fund
# (its cash, a month's inflow and outflow, a province's total over its clubs) is at most
# this, so it fits the `bigint` columns with room to spare. A club's seed capital is 20-30
# million VND and the largest club fund on record just over a billion; a revolving fund
# takes its capital back in repayments many times over, hence the margin.
FUND_INFLOW_LIMITS: Mapping[FundType, int] = {
    "income_generation": 1_000_000_000_000,
    "activity": 1_000_000_000_000,
    "mutual_aid": 1_000_000_000_000,
}

# (first day, bucket): days overdue from the oldest unpaid installment (Fineract/SEEP ageing).
ARREARS_BUCKETS: tuple[tuple[int, ArrearsBucket], ...] = (
    (1, "1-30"),
    (31, "31-60"),
    (61, "61-90"),
    (91, "90+"),
)
PAR_DAYS = 30  # PAR30: loans more than 30 days overdue


def bucket_for(days_overdue: int) -> ArrearsBucket | None:
    found: ArrearsBucket | None = None
    for first_day, bucket in ARREARS_BUCKETS:
        if days_overdue >= first_day:
            found = bucket
    return found


def next_bucket_day(days_overdue: int) -> int | None:
    """The days-overdue count at which the loan enters its next bucket (None: in the last)."""
    for first_day, _ in ARREARS_BUCKETS:
        if first_day > days_overdue:
            return first_day
    return None
