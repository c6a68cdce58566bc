"""Care queries (request/reply on `ishc.qry.care.<Query>`): read models, never the store."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.events import Query


class _Care(Query):
    service: ClassVar[str] = "care"


class CaseDetail(_Care):
    case_id: UUID


class WeekBoard(_Care):
    """Active recipients of a club and this week's visit slots: due, overdue, done, missed."""

    club_id: UUID
    on: date | None = Field(default=None, description="A day of the week to show; today if none")


class VolunteerWorkload(_Care):
    club_id: UUID
    on: date | None = None


class ClubCompliance(_Care):
    """Share of closed recipient-weeks that met the plan's target."""

    club_id: UUID
    from_week: str | None = Field(default=None, pattern=r"^\d{4}-W\d{2}$")
    to_week: str | None = Field(default=None, pattern=r"^\d{4}-W\d{2}$")


class HomeCareReport(_Care):
    """People receiving home care at least twice in an ISO week (a reported indicator)."""

    iso_year: int = Field(ge=2000, le=2100)
    iso_week: int = Field(ge=1, le=53)
    club_id: UUID | None = None


class CheckupCoverage(_Care):
    """Members aged 60 or more in `year` and whether each had a health check that year."""

    club_id: UUID
    year: int = Field(ge=2000, le=2100)


QUERIES: tuple[type[Query], ...] = (
    CaseDetail,
    WeekBoard,
    VolunteerWorkload,
    ClubCompliance,
    HomeCareReport,
    CheckupCoverage,
)
