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
from ishc_runtime.projections import Projection
from ishc_runtime.store.pool import Connection

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


def funds_projection() -> Projection:
    projection = Projection(name="finance_funds", sources=["finance"], policy="stop", tables=TABLES)

    async def post(conn: Connection, env: EventEnvelope, event: Any) -> None:
        amount = posting(event)
        money_in, money_out = flows(event)
        fund_type = getattr(event, "fund_type", None) or FUND_TYPE.get(type(event))
        await conn.execute(
            "INSERT INTO finance_funds (fund_id, club_id, fund_type, cash, version)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fund_id) DO UPDATE SET"
            " cash = finance_funds.cash + $4, version = $5,"
            " fund_type = COALESCE(finance_funds.fund_type, $3)",
            event.fund_id,
            event.club_id,
            fund_type,
            amount,
            env.version,
        )
        await conn.execute(
            "INSERT INTO finance_fund_months (fund_id, month, club_id, inflow, outflow)"
            " VALUES ($1, date_trunc('month', $2::date)::date, $3, $4, $5)"
            " ON CONFLICT (fund_id, month) DO UPDATE SET"
            " inflow = finance_fund_months.inflow + $4, outflow = finance_fund_months.outflow + $5",
            event.fund_id,
            _day(event),
            event.club_id,
            money_in,
            money_out,
        )
        await conn.execute(
            "INSERT INTO finance_fund_days (fund_id, day, club_id, inflow, outflow)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fund_id, day) DO UPDATE SET"
            " inflow = finance_fund_days.inflow + $4, outflow = finance_fund_days.outflow + $5",
            event.fund_id,
            _day(event),
            event.club_id,
            money_in,
            money_out,
        )

    for model in POSTINGS:
        projection.on(model)(post)

    @projection.on(MonthClosed)
    async def closed(conn: Connection, env: EventEnvelope, e: MonthClosed) -> None:
        await conn.execute(
            "INSERT INTO finance_fund_closings"
            " (fund_id, month, club_id, opening, inflow, outflow, closing)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            e.fund_id,
            e.month,
            e.club_id,
            e.opening,
            e.inflow,
            e.outflow,
            e.closing,
        )

    return projection
