"""Reporting queries (request/reply on `ishc.qry.reporting.<Query>`): indicators N1-N16 per
unit of a level on one admin map, and the same report as a CSV or XLSX file."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ishc_contracts.events import Query
from ishc_contracts.operations import ProjectionSourceStatus
from ishc_contracts.values import Code

Level = Literal["club", "commune", "province", "nation"]
Scheme = Literal["legacy_63", "2025_34"]
ExportFormat = Literal["csv", "xlsx"]

# Counts of sensitive categories below this are suppressed outside a club (privacy rule).
SUPPRESSION_THRESHOLD = 5

# The forms `reporting.application.periods.parse_period` accepts, so a bad period is refused
# at the edge naming the field: a month, a quarter, a year or a programme period. Years are
# 1900-2199: dates of year 0 do not exist, and trailing windows must stay within the calendar.
PERIOD_PATTERN = r"^((19|20|21)\d\d(-(0[1-9]|1[0-2])|-Q[1-4])?|2021-2025|2026-2030|2031-2035)$"


class _Reporting(Query):
    service: ClassVar[str] = "reporting"


class Indicators(_Reporting):
    """Indicators N1-N16 for every unit of a level (or one `unit`) on an admin map."""

    period: str = Field(
        pattern=PERIOD_PATTERN,
        max_length=9,
        description="A month 2025-05, a quarter 2025-Q2, a year 2025 or a programme period "
        "2021-2025; indicators are taken on its last day",
        examples=["2025-05"],
    )
    level: Level = Field(default="nation", description="The units reported: one row per unit")
    scheme: Scheme = Field(
        default="2025_34",
        description="The admin map: legacy_63 (before 1 Jul 2025) or 2025_34 (two tiers)",
    )
    unit: Code | None = Field(
        default=None,
        description="Only this unit: a club id, <province>:<ward>, or a province code",
    )
    provinces: tuple[Code, ...] | None = Field(
        default=None,
        max_length=64,
        description="Only clubs inside these provinces. A code names its province on the 2025 "
        "map when it exists there, else the legacy (pre-2025) province: a club matches when "
        "its 2025 or its legacy province is listed (provinces merged whole in 2025)",
    )
    communes: tuple[Code, ...] | None = Field(
        default=None,
        max_length=64,
        description="Only clubs in these communes: <province>:<ward> keys on the chosen map "
        "(`scheme`), as the commune level reports them. Combined with `provinces`",
    )
    threshold: int = Field(
        default=SUPPRESSION_THRESHOLD,
        ge=1,
        le=10_000,
        description="Sensitive counts below this are suppressed outside a club",
    )
    suppress_clubs: bool = Field(
        default=False,
        description="Suppress small cells at club level too: for readers outside the club",
    )


class ExportIndicators(Indicators):
    """The same report as CSV or XLSX, base64-encoded in the reply."""

    format: ExportFormat = "csv"


# A month of a period, as `Indicators` takes it (2025-05).
MONTH_PATTERN = r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(pattern=MONTH_PATTERN, max_length=7, examples=["2025-05"])]


class ClubsOverTime(_Reporting):
    """Clubs to date (N1 `clubs_cumulative`) at the end of each month: a trend in one light
    query, where an `Indicators` report per month would compute every indicator."""

    months: tuple[Month, ...] = Field(
        min_length=1, max_length=36, description="Months to count, each 2025-05"
    )
    provinces: tuple[Code, ...] | None = Field(
        default=None,
        max_length=64,
        description="Only clubs inside these provinces, as for `Indicators`",
    )


class ReportBasis(BaseModel):
    """What a report was computed from: how far each reporting projection had got. Read just
    before the figures, so a complete report counts at least every event published by then."""

    model_config = ConfigDict(frozen=True)

    computed_at: AwareDatetime
    complete: bool = Field(
        description="Every source was caught up, with nothing parked or stopped: no event "
        "published by `computed_at` is missing from the figures"
    )
    sources: list[ProjectionSourceStatus] = Field(
        description="One row per reporting projection and the service it reads"
    )

    @classmethod
    def of(cls, computed_at: AwareDatetime, sources: list[ProjectionSourceStatus]) -> ReportBasis:
        complete = bool(sources) and all(
            s.state == "caught up" and s.parked == 0 and s.blocking == 0 for s in sources
        )
        return cls(computed_at=computed_at, complete=complete, sources=sources)


QUERIES: tuple[type[Query], ...] = (Indicators, ExportIndicators, ClubsOverTime)
