"""Care queries (request/reply on `ishc.qry.care.<Query>`): read models, never the store."""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from ishc_contracts.bounds import PlannedDay
from ishc_contracts.care.events import IsoWeek
from ishc_contracts.events import Query

# A week as `2026-W07` (fixed length: the pattern alone bounds it; said for the checks).
Week = Annotated[IsoWeek, Field(max_length=8, examples=["2026-W07"])]


class _Care(Query):
    service: ClassVar[str] = "care"


class CaseDetail(_Care):
    case_id: UUID


class WeekBoard(_Care):
    """Active recipients of a club and this week's visit slots: due, overdue, done, missed."""

    club_id: UUID
    on: PlannedDay | None = Field(
        default=None, description="A day of the week to show; today if none"
    )


class VolunteerWorkload(_Care):
    club_id: UUID
    on: PlannedDay | None = None


class ClubCompliance(_Care):
    """Share of closed recipient-weeks that met the plan's target; with `period`, the weeks
    whose Thursday lies in it (docs/periods.md: 2026-W01 is in January 2026)."""

    club_id: UUID
    from_week: Week | None = None
    to_week: Week | None = None
    period: str | None = Field(
        default=None,
        pattern=r"^\d{4}(-(Q[1-4]|0[1-9]|1[0-2]))?$",
        max_length=7,
        examples=["2026", "2026-Q1", "2026-01"],
    )


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
