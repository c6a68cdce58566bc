"""Queries over finance's read models (request/reply); each honours `min_version` where a
client waits for its own write."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from finance.application.routes import routes
from finance.domain.errors import NotFound
from finance.domain.rules import PAR_DAYS
from ishc_contracts import QueryEnvelope
from ishc_contracts.finance.queries import FundStatement, GetLoan, LoanBook, PortfolioIndicators
from ishc_runtime.service import ServiceContext
from ishc_runtime.service.consistency import caught_up

LOAN_COLUMNS = (
    "loan_id, club_id, member_id, status, principal, principal_paid, interest_paid,"
    " principal - principal_paid AS outstanding_principal, disbursed_on, closed_on,"
    " days_overdue, bucket, case_open, written_off, recovered, version"
)


def _json(row: Any) -> dict[str, Any]:
    """A row as JSON-ready values: ids and dates as strings, amounts as ints."""
    return {k: (str(v) if isinstance(v, UUID | date) else v) for k, v in row.items()}


@routes.query(GetLoan)
async def get_loan(ctx: ServiceContext, env: QueryEnvelope, q: GetLoan) -> dict[str, Any]:
    async def version() -> int | None:
        found: int | None = await ctx.pool.fetchval(
            "SELECT version FROM finance_loans WHERE loan_id = $1", q.loan_id
        )
        return found

    fresh = await caught_up(version, env.min_version)
    row = await ctx.pool.fetchrow(
        f"SELECT {LOAN_COLUMNS} FROM finance_loans WHERE loan_id = $1", q.loan_id
    )
    if row is None:
        raise NotFound(f"no loan {q.loan_id}", field="loan_id")
    # The repayment schedule as it stands (a rescheduling replaces it), for the loan's page.
    installments = await ctx.pool.fetch(
        "SELECT number, due_on, principal, interest FROM finance_installments"
        " WHERE loan_id = $1 ORDER BY number",
        q.loan_id,
    )
    return {**_json(row), "installments": [_json(i) for i in installments], "stale": not fresh}


@routes.query(FundStatement)
async def fund_statement(
    ctx: ServiceContext, env: QueryEnvelope, q: FundStatement
) -> dict[str, Any]:
    rows = await ctx.pool.fetch(
        "SELECT m.fund_id, f.fund_type, m.month, m.inflow, m.outflow,"
        " (sum(m.inflow - m.outflow) OVER (PARTITION BY m.fund_id ORDER BY m.month))::bigint"
        " AS closing"
        " FROM finance_fund_months m JOIN finance_funds f USING (fund_id)"
        " WHERE m.club_id = $1 ORDER BY f.fund_type, m.month",
        q.club_id,
    )
    closings = await ctx.pool.fetch(
        "SELECT c.fund_id, f.fund_type, c.month, c.opening, c.inflow, c.outflow, c.closing"
        " FROM finance_fund_closings c JOIN finance_funds f USING (fund_id)"
        " WHERE c.club_id = $1 ORDER BY f.fund_type, c.month",
        q.club_id,
    )
    return {"months": [_json(r) for r in rows], "closings": [_json(r) for r in closings]}


@routes.query(LoanBook)
async def loan_book(ctx: ServiceContext, env: QueryEnvelope, q: LoanBook) -> dict[str, Any]:
    loans = await ctx.pool.fetch(
        f"SELECT {LOAN_COLUMNS} FROM finance_loans WHERE club_id = $1 ORDER BY loan_id", q.club_id
    )
    ageing = await ctx.pool.fetch(
        "SELECT COALESCE(bucket, 'current') AS bucket, count(*) AS loans,"
        " sum(principal - principal_paid)::bigint AS outstanding_principal FROM finance_loans"
        " WHERE club_id = $1 AND status = 'active' GROUP BY 1 ORDER BY 1",
        q.club_id,
    )
    return {"loans": [_json(r) for r in loans], "ageing": [_json(r) for r in ageing]}


INDICATORS = f"""
WITH active AS (
    SELECT * FROM finance_loans WHERE club_id = $1 AND status = 'active'
), due AS (
    SELECT l.loan_id, l.principal_paid + l.interest_paid AS paid,
           COALESCE(sum(i.principal + i.interest) FILTER (WHERE i.due_on <= $2), 0)::bigint AS due
    FROM finance_loans l JOIN finance_installments i USING (loan_id)
    WHERE l.club_id = $1 AND l.status IN ('active', 'repaid') GROUP BY l.loan_id
), borrowers AS (
    SELECT DISTINCT member_id FROM finance_loans
    WHERE club_id = $1 AND disbursed_on IS NOT NULL AND disbursed_on <= $2
), helped AS (
    SELECT member_id FROM borrowers
    UNION SELECT member_id FROM finance_in_kind WHERE club_id = $1 AND lent_on <= $2
)
SELECT
    (SELECT COALESCE(sum(principal - principal_paid), 0)::bigint FROM active) AS outstanding,
    (SELECT COALESCE(sum(principal - principal_paid), 0)::bigint FROM active
        WHERE days_overdue > {PAR_DAYS}) AS at_risk,
    (SELECT COALESCE(sum(least(paid, due)), 0)::bigint FROM due) AS collected,
    (SELECT COALESCE(sum(due), 0)::bigint FROM due) AS fallen_due,
    (SELECT count(*) FROM borrowers) AS borrowers,
    (SELECT count(DISTINCT COALESCE(m.household_id, h.member_id))
        FROM helped h LEFT JOIN finance_members m USING (member_id)) AS families_helped,
    (SELECT COALESCE(sum(written_off), 0)::bigint FROM finance_loans WHERE club_id = $1
        AND closed_on <= $2) AS written_off,
    (SELECT count(*) FROM finance_members WHERE club_id = $1 AND status = 'active') AS members
"""


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@routes.query(PortfolioIndicators)
async def indicators(
    ctx: ServiceContext, env: QueryEnvelope, q: PortfolioIndicators
) -> dict[str, Any]:
    """PAR30 = outstanding principal of loans > 30 days overdue / outstanding principal;
    repayment rate = collected (capped at what fell due) / fallen due up to `as_of`;
    borrowers share = members who borrowed by `as_of` / active members; families helped =
    households (a member without one counts alone) with a loan or in-kind support."""
    row = await ctx.pool.fetchrow(INDICATORS, q.club_id, q.as_of)
    assert row is not None
    return {
        **dict(row),
        "par30": _ratio(row["at_risk"], row["outstanding"]),
        "repayment_rate": _ratio(row["collected"], row["fallen_due"]),
        "borrowers_share": _ratio(row["borrowers"], row["members"]),
    }
