"""Reporting's query contracts refuse what the reporting service could not compute."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ishc_contracts.reporting.queries import ClubsOverTime, ExportIndicators, Indicators

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("period", ["2025-05", "2025-12", "2025-Q2", "2025", "2021-2025", "1999"])
def test_periods_reporting_computes(period: str) -> None:
    assert Indicators(period=period).period == period


@pytest.mark.parametrize(
    "period", ["0000-05", "9999", "2025-13", "2025-00", "2025-Q5", "2024-2026", "25-05", ""]
)
def test_other_periods_are_refused_naming_the_field(period: str) -> None:
    with pytest.raises(ValidationError) as error:
        Indicators(period=period)
    assert [e["loc"] for e in error.value.errors()] == [("period",)]


def test_defaults_and_limits() -> None:
    query = Indicators(period="2025")
    assert (query.level, query.scheme, query.threshold) == ("nation", "2025_34", 5)
    assert query.provinces is None and query.suppress_clubs is False
    with pytest.raises(ValidationError):
        Indicators(period="2025", provinces=("79", "bad code"))
    with pytest.raises(ValidationError):
        Indicators(period="2025", threshold=0)
    assert ExportIndicators(period="2025", format="xlsx").format == "xlsx"


@pytest.mark.parametrize(
    "months",
    [
        [],
        ["2025-13"],
        ["2025"],
        ["2025-Q1"],
        ["2025-05", "25-06"],
        [f"2025-{m:02d}" for m in [1] * 37],
    ],
    ids=["none", "month 13", "a year", "a quarter", "one bad", "37 months"],
)
def test_clubs_over_time_takes_1_to_36_months_and_names_the_field(months: list[str]) -> None:
    with pytest.raises(ValidationError) as error:
        ClubsOverTime(months=tuple(months))
    assert {e["loc"][0] for e in error.value.errors()} == {"months"}


def test_clubs_over_time_keeps_the_months_in_order() -> None:
    query = ClubsOverTime(months=("2025-06", "2025-05"), provinces=("01",))
    assert (query.months, query.provinces) == (("2025-06", "2025-05"), ("01",))
