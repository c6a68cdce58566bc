"""Finance queries (request/reply over `ishc.qry.finance.<Query>`)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from ishc_contracts.bounds import PlannedDay
from ishc_contracts.events import Query


class _Finance(Query):
    service: ClassVar[str] = "finance"


class GetLoan(_Finance):
    loan_id: UUID


class FundStatement(_Finance):
    """Per fund and month: inflows, outflows and the closing balance."""

    club_id: UUID


class LoanBook(_Finance):
    """Every loan of a club with its arrears, and the ageing by bucket."""

    club_id: UUID


class PortfolioIndicators(_Finance):
    """PAR30, repayment rate, borrowers as a share of members, families helped."""

    club_id: UUID
    as_of: PlannedDay


QUERIES: tuple[type[Query], ...] = (GetLoan, FundStatement, LoanBook, PortfolioIndicators)
