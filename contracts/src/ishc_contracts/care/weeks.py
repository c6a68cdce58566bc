"""The ISO weeks (Monday to Sunday) that care's events and read models name, as `IsoWeek`
labels such as "2026-W07": which week a day counts toward, and how a label reads. The care
decider and its read models both take this from here, so a visit is counted in one week."""

from __future__ import annotations

from datetime import date


def label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def parse(label: str) -> tuple[int, int]:
    """(year, week) of a label such as "2026-W01"."""
    year, week = label.split("-W")
    return int(year), int(week)


def week_of(day: date) -> tuple[int, int]:
    """The ISO (year, week) of a calendar day (a day in Viet Nam: callers pass local dates)."""
    iso = day.isocalendar()
    return iso.year, iso.week


def label_of(day: date) -> str:
    return label(*week_of(day))
