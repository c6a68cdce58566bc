"""Retention per category of personal data, as data (the `retention` reference list).

Each rule: which service's data of which category, the event whose business date starts the
clock (`starts_with`, `date_field`), how many years, and optionally the event that stops it
(a new membership). When the period ends, the owning service's scheduler sends itself
`ExpireRetention`, which destroys the data key of that (stream, category): the fields read as
erased, everything else of the stream stays readable (docs/privacy.md, "Retention").
Effective-dated like every reference list (ADR 0041): the rule valid on the starting date
applies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import ClassVar, cast

from pydantic import Field

from ishc_contracts.events import CATEGORIES, Command, Payload, SensitiveCategory
from ishc_contracts.reference import DATA
from ishc_contracts.values import ShortText

RETENTION = "retention"
EXPIRE_RETENTION = "ExpireRetention"


@dataclass(frozen=True)
class RetentionRule:
    code: str
    service: str
    category: SensitiveCategory
    starts_with: str  # event wire name
    date_field: str
    years: int
    valid_from: date
    valid_to: date | None = None
    legal_basis: str | None = None
    stopped_by: str | None = None  # event wire name that stops the clock (a new membership)
    stopped_date_field: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def ends_on(self, started_on: date) -> date:
        """The day the data is no longer kept: `years` after the start (29 Feb → 28 Feb)."""
        try:
            return started_on.replace(year=started_on.year + self.years)
        except ValueError:
            return started_on.replace(year=started_on.year + self.years, day=28)


@cache
def rules() -> tuple[RetentionRule, ...]:
    raw = json.loads(DATA.joinpath(f"{RETENTION}.json").read_text(encoding="utf-8"))
    found = []
    for entry in raw["entries"]:
        if entry["category"] not in CATEGORIES:
            msg = f"retention rule {entry['code']}: unknown category {entry['category']!r}"
            raise ValueError(msg)
        found.append(
            RetentionRule(
                code=entry["code"],
                service=entry["service"],
                category=cast("SensitiveCategory", entry["category"]),
                starts_with=entry["starts_with"],
                date_field=entry["date_field"],
                years=int(entry["years"]),
                valid_from=date.fromisoformat(entry["valid_from"]),
                valid_to=date.fromisoformat(entry["valid_to"]) if entry.get("valid_to") else None,
                legal_basis=entry.get("legal_basis"),
                stopped_by=entry.get("stopped_by"),
                stopped_date_field=entry.get("stopped_date_field"),
            )
        )
    return tuple(found)


def rules_for(service: str) -> tuple[RetentionRule, ...]:
    return tuple(r for r in rules() if r.service == service)


class ExpireRetention(Command):
    """A retention period ended: destroy the data key of (`stream_id`, `category`). Sent by the
    owning service's scheduler to itself (system actor); built into every service, like
    EraseSubject. Idempotent by its command id (derived from the timer's key)."""

    service: ClassVar[str] = "every"

    rule: ShortText
    stream_id: ShortText = Field(description="The stream whose data key goes")
    category: SensitiveCategory
    started_on: date
    ends_on: date


class RetentionExpired(Payload):
    """One service's answer to ExpireRetention."""

    service: str
    subject: str
    category: SensitiveCategory
    keys_destroyed: int
