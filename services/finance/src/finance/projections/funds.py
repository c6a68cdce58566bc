"""Fund balances and the monthly fund statement: one row per fund and month of postings."""

from __future__ import annotations

from typing import Any

from ishc_contracts import Event, EventEnvelope
from ishc_contracts.finance.events import (
    FundCapitalised,
    InterestAllocatedToActivityFund,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    MembershipFeeReceived,
    MonthClosed,
    MutualAidGranted,
    RepaymentSplitCorrected,
)
from ishc_contracts.finance.postings import flows, posting
from ishc_runtime.projections import Projection, Write

TABLES = [
    "finance_funds",
    "finance_fund_months",
    "finance_fund_days",
    "finance_fund_closings",
]
POSTINGS: tuple[type[Event], ...] = (
    FundCapitalised,
    MembershipFeeReceived,
    LoanCashDisbursed,
    LoanPrincipalReturned,
    InterestAllocatedToActivityFund,
    MutualAidGranted,
    RepaymentSplitCorrected,
)
FUND_TYPE: dict[type[Event], str] = {
    LoanCashDisbursed: "income_generation",
    LoanPrincipalReturned: "income_generation",
    InterestAllocatedToActivityFund: "activity",
    MutualAidGranted: "mutual_aid",
}


def _day(event: Any) -> Any:
    for name in ("received_on", "disbursed_on", "granted_on"):
        if hasattr(event, name):
            return getattr(event, name)
    raise AssertionError(type(event).__name__)  # pragma: no cover


# A posting moves the fund's cash and its month's and day's flows: one statement (three
# upserts in data-modifying CTEs), so a run of postings goes to the server as one
# `executemany`, applied row after row as the events came.
_POST = (
    "WITH fund AS ("
    " INSERT INTO finance_funds (fund_id, club_id, fund_type, cash, version)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fund_id) DO UPDATE SET"
    " cash = finance_funds.cash + $4, version = $5,"
    " fund_type = COALESCE(finance_funds.fund_type, $3)"
    "), month AS ("
    " INSERT INTO finance_fund_months (fund_id, month, club_id, inflow, outflow)"
    " VALUES ($1, date_trunc('month', $6::date)::date, $2, $7, $8)"
    " ON CONFLICT (fund_id, month) DO UPDATE SET"
    " inflow = finance_fund_months.inflow + $7, outflow = finance_fund_months.outflow + $8"
    ")"
    " INSERT INTO finance_fund_days (fund_id, day, club_id, inflow, outflow)"
    " VALUES ($1, $6, $2, $7, $8) ON CONFLICT (fund_id, day) DO UPDATE SET"
    " inflow = finance_fund_days.inflow + $7, outflow = finance_fund_days.outflow + $8"
)


def funds_projection() -> Projection:
    projection = Projection(name="finance_funds", sources=["finance"], policy="stop", tables=TABLES)

    def post(env: EventEnvelope, event: Any) -> list[Write]:
        money_in, money_out = flows(event)
        fund_type = getattr(event, "fund_type", None) or FUND_TYPE.get(type(event))
        args = (
            event.fund_id, event.club_id, fund_type, posting(event), env.version, _day(event),
            money_in, money_out,
        )  # fmt: skip
        return [Write(_POST, args)]

    for model in POSTINGS:
        projection.writes(model)(post)

    projection.row(
        MonthClosed,
        "INSERT INTO finance_fund_closings"
        " (fund_id, month, club_id, opening, inflow, outflow, closing)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        lambda e: (e.fund_id, e.month, e.club_id, e.opening, e.inflow, e.outflow, e.closing),
    )

    return projection
