"""Advocacy queries (request/reply over the service's read models)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from ishc_contracts.events import Query


class _Advocacy(Query):
    service: ClassVar[str] = "advocacy"


class OpenClaims(_Advocacy):
    """Open entitlement cases by stage, with overdue flags."""

    club_id: UUID | None = None


class HouseholdsHelped(_Advocacy):
    """Distinct households with at least one approved claim."""

    club_id: UUID | None = None


class UnclaimedWorklist(_Advocacy):
    """Eligible people without an open or approved case for the scheme (outreach list)."""

    club_id: UUID


class ScreeningHistory(_Advocacy):
    """The latest screening of a person for each scheme, with its rule and table versions."""

    person_id: UUID


QUERIES: tuple[type[Query], ...] = (
    OpenClaims,
    HouseholdsHelped,
    UnclaimedWorklist,
    ScreeningHistory,
)
