"""Queries over finance's read models (request/reply); each honours `min_version` where a
client waits for its own write."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from finance.application import reading
from finance.application.routes import routes
from finance.domain.errors import NotFound
from ishc_contracts import QueryEnvelope
from ishc_contracts.finance.queries import FundStatement, GetLoan, LoanBook, PortfolioIndicators
from ishc_runtime.clock import vn_date
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import reflects


def _json(row: Any) -> dict[str, Any]:
    """A row as JSON-ready values: ids and dates as strings, amounts as ints."""
    return {k: (str(v) if isinstance(v, UUID | date) else v) for k, v in row.items()}


def _day(ctx: ServiceContext, as_of: date | None) -> date:
    """The day a read is about: the one asked, else today in Viet Nam."""
    return as_of or vn_date(ctx.clock.now())


@routes.query(GetLoan)
async def get_loan(ctx: ServiceContext, env: QueryEnvelope, q: GetLoan) -> dict[str, Any]:
    fresh = await reflects(ctx, env, ["finance_loan_book"], default_stream=f"loan-{q.loan_id}")
    day = _day(ctx, q.as_of)
    found = await reading.loans_on(ctx.pool, day, loan_id=q.loan_id)
    if not found:
        raise NotFound(f"no loan {q.loan_id}", field="loan_id")
    # The repayment schedule as it stood on the day (a rescheduling replaces it from its own
    # date on), for the loan's page.
    installments = await reading.schedule_on(ctx.pool, q.loan_id, day)
    # The repayments received up to the day, by their business date: the loan's history.
    # The book keeps each one's cash total; its split is what the loan's totals say.
    repayments = await ctx.pool.fetch(
        "SELECT repayment_id, received_on, amount FROM finance_repayments"
        " WHERE loan_id = $1 AND received_on <= $2 ORDER BY received_on, repayment_id",
        q.loan_id,
        day,
    )
    return {
        **found[0].as_json(),
        "installments": [_json(i) for i in installments],
        "repayments": [_json(r) for r in repayments],
        "stale": not fresh,
    }


@routes.query(FundStatement)
async def fund_statement(
    ctx: ServiceContext, env: QueryEnvelope, q: FundStatement
) -> dict[str, Any]:
    """Months from the postings' business dates; with `as_of`, postings after it are left
    out (its month is shown up to that day) and `balances` are the funds' cash on that day."""
    fresh = await reflects(ctx, env, ["finance_funds"])
    rows = await ctx.pool.fetch(
        "WITH m AS (SELECT fund_id, date_trunc('month', day)::date AS month,"
        " sum(inflow)::bigint AS inflow, sum(outflow)::bigint AS outflow"
        " FROM finance_fund_days WHERE club_id = $1 AND ($2::date IS NULL OR day <= $2)"
        " GROUP BY 1, 2)"
        " SELECT m.fund_id, f.fund_type, m.month, m.inflow, m.outflow,"
        " (sum(m.inflow - m.outflow) OVER (PARTITION BY m.fund_id ORDER BY m.month))::bigint"
        " AS closing"
        " FROM m JOIN finance_funds f USING (fund_id) ORDER BY f.fund_type, m.month",
        q.club_id,
        q.as_of,
    )
    closings = await ctx.pool.fetch(
        "SELECT c.fund_id, f.fund_type, c.month, c.opening, c.inflow, c.outflow, c.closing"
        " FROM finance_fund_closings c JOIN finance_funds f USING (fund_id)"
        " WHERE c.club_id = $1 AND ($2::date IS NULL OR c.month <= $2)"
        " ORDER BY f.fund_type, c.month",
        q.club_id,
        q.as_of,
    )
    balances: dict[str, dict[str, Any]] = {}
    for r in rows:
        balances[str(r["fund_id"])] = {"fund_type": r["fund_type"], "cash": r["closing"]}
    return {
        "as_of": None if q.as_of is None else q.as_of.isoformat(),
        "months": [_json(r) for r in rows],
        "closings": [_json(r) for r in closings],
        "balances": balances,
        "stale": not fresh,
    }


@routes.query(LoanBook)
async def loan_book(ctx: ServiceContext, env: QueryEnvelope, q: LoanBook) -> dict[str, Any]:
    """Loans with their arrears on the day; ageing = active loans by bucket ('current' when
    nothing is overdue), with their outstanding principal."""
    fresh = await reflects(ctx, env, ["finance_loan_book"])
    day = _day(ctx, q.as_of)
    loans = await reading.loans_on(ctx.pool, day, club_id=q.club_id)
    if q.as_of is not None:
        loans = [x for x in loans if x.row["disbursed_on"] and x.row["disbursed_on"] <= day]
    ageing: dict[str, dict[str, Any]] = {}
    for x in loans:
        if x.active:
            bucket = x.arrears.bucket if x.arrears else "current"
            group = ageing.setdefault(
                bucket, {"bucket": bucket, "loans": 0, "outstanding_principal": 0}
            )
            group["loans"] += 1
            group["outstanding_principal"] += x.outstanding_principal
    return {
        "as_of": day.isoformat(),
        "loans": [x.as_json() for x in loans],
        "ageing": [ageing[k] for k in sorted(ageing)],
        "stale": not fresh,
    }


FACTS = """
WITH borrowers AS (
    SELECT DISTINCT member_id FROM finance_loans
    WHERE club_id = $1 AND disbursed_on IS NOT NULL AND disbursed_on <= $2
), helped AS (
    SELECT member_id FROM borrowers
    UNION SELECT member_id FROM finance_in_kind WHERE club_id = $1 AND lent_on <= $2
)
SELECT
    (SELECT count(*) FROM borrowers) AS borrowers,
    (SELECT count(DISTINCT COALESCE(m.household_id, h.member_id))
        FROM helped h LEFT JOIN finance_members m USING (member_id)) AS families_helped,
    (SELECT COALESCE(sum(written_off), 0)::bigint FROM finance_loans WHERE club_id = $1
        AND status = 'written_off' AND closed_on <= $2) AS written_off,
    (SELECT count(*) FROM finance_members WHERE club_id = $1 AND joined_on <= $2
        AND (left_on IS NULL OR left_on > $2)) AS members
"""


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@routes.query(PortfolioIndicators)
async def indicators(
    ctx: ServiceContext, env: QueryEnvelope, q: PortfolioIndicators
) -> dict[str, Any]:
    """All on `as_of`, from business dates: PAR30 = outstanding principal of loans more than
    30 days overdue / outstanding principal of active loans; repayment rate = collected
    (capped at what fell due) / fallen due, over active and repaid loans; borrowers share =
    members who borrowed by `as_of` / members on `as_of`; families helped = households (a
    member without one counts alone) with a loan or in-kind support."""
    fresh = await reflects(ctx, env, ["finance_loan_book", "finance_in_kind"])
    loans = await reading.loans_on(ctx.pool, q.as_of, club_id=q.club_id)
    active = [x for x in loans if x.active]
    rated = [x for x in loans if x.status in ("active", "repaid")]
    outstanding = sum(x.outstanding_principal for x in active)
    at_risk = sum(x.outstanding_principal for x in active if x.at_risk)
    collected = sum(min(x.paid, x.fallen_due) for x in rated)
    fallen_due = sum(x.fallen_due for x in rated)
    row = await ctx.pool.fetchrow(FACTS, q.club_id, q.as_of)
    assert row is not None
    return {
        "outstanding": outstanding,
        "at_risk": at_risk,
        "collected": collected,
        "fallen_due": fallen_due,
        **dict(row),
        "stale": not fresh,
        "par30": _ratio(at_risk, outstanding),
        "repayment_rate": _ratio(collected, fallen_due),
        "borrowers_share": _ratio(row["borrowers"], row["members"]),
    }
