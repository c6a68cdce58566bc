"""Finance queries (request/reply over `ishc.qry.finance.<Query>`)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from ishc_contracts.bounds import PlannedDay
from ishc_contracts.events import Query


class _Finance(Query):
    service: ClassVar[str] = "finance"


class GetLoan(_Finance):
    """One loan with its arrears on `as_of` (default: today in Viet Nam)."""

    loan_id: UUID
    as_of: PlannedDay | None = None


class FundStatement(_Finance):
    """Per fund and month: inflows, outflows and the closing balance, through the month of
    `as_of` (default: every month on record)."""

    club_id: UUID
    as_of: PlannedDay | None = None


class LoanBook(_Finance):
    """Every loan of a club with its arrears on `as_of` (default: today in Viet Nam), and the
    ageing by bucket; with `as_of`, only the loans disbursed by then."""

    club_id: UUID
    as_of: PlannedDay | None = None


class PortfolioIndicators(_Finance):
    """PAR30, repayment rate, borrowers as a share of members, families helped."""

    club_id: UUID
    as_of: PlannedDay


QUERIES: tuple[type[Query], ...] = (GetLoan, FundStatement, LoanBook, PortfolioIndicators)
