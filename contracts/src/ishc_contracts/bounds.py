"""Bounds on everything a request carries: amounts, counts, text, list sizes and date windows.

Why: a value a service accepts is stored in an event and then applied by projections whose
columns are Postgres `bigint`, `int`, indexed `text`; a `stop` projection (a ledger) that
cannot apply an event stops for every club. So nothing a caller sends may be larger than
what every reader can hold, with room for sums (a fund's running total, a province's total
of funds). The bounds here are generous for a club (a club's seed capital is 20-30 million
VND, a loan 5-50 million) and tiny next to int64 (9.2e18).

Commands and queries use these types; events keep their own, unbounded ones, so events
already stored (whatever their values) still load, and their schemas do not change.

Dates are checked against a window. Its start is fixed (the programme's start, or 1900 for
birth dates); its end is relative to *today*, which is not read from a wall clock here: the
service that validates a request passes its own clock's instant in the validation context
(`window_context`). Without that context (the gateway, a client) only the fixed start is
checked; the service checks the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ishc_contracts.values import Code
from ishc_contracts.vietnam import VN_TZ

# -- amounts and counts ------------------------------------------------------------------

MAX_AMOUNT = 2_000_000_000
"""The largest single amount (VND) any request may carry: 100 times a club's seed capital
and above the largest club fund on record (just over 1 billion, domain.md §1). A fund's
lifetime inflow has its own, larger ceiling in finance (its rules), so sums fit too."""

MAX_HEADCOUNT = 100_000
"""People counted at one event (guests, signatures, votes): far above a commune's size."""

MAX_MONTHS = 120
"""Loan terms, grace periods: ten years."""

# -- list sizes --------------------------------------------------------------------------

MAX_PEOPLE = 500
"""Members named in one request (attendance, attendees, affected members): a club has
50-80; a general assembly of several clubs stays below this."""

MAX_CODES = 32
"""Reference-data codes in one list (activity areas, tasks, documents, skills)."""

MAX_ITEMS = 50
"""Other short lists (agenda items, board seats, household members, volunteers)."""

# -- dates -------------------------------------------------------------------------------

PROGRAMME_START = date(2006, 1, 1)
"""Intergenerational Self-Help Clubs started in Viet Nam in 2006 (HelpAge pilot): no club
fact, plan or question is dated before it."""

EARLIEST_BIRTH = date(1900, 1, 1)
"""A person's birth date, or a fact of their life that may predate the programme (a
disability assessment)."""

FACT_DAYS_AHEAD = 1
"""A fact (a visit, a receipt, a meeting) is dated today at the latest; one day of slack
covers a clock a little behind at midnight. Services refuse a future fact precisely where
their rules say so."""

PLAN_DAYS_AHEAD = 15 * 366
"""A planned date (a due date, a term's end, a certificate's expiry, a date asked about):
at most fifteen years ahead, beyond any loan term (ten years) plus grace."""


TODAY = "today"
NOW = "now"


def window_context(now: datetime) -> dict[str, Any]:
    """The validation context a service passes: its clock's instant and today in Viet Nam."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return {NOW: aware, TODAY: aware.astimezone(VN_TZ).date()}


class _Window:
    """A check after the type's own validation, with the validation context at hand."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self._check, handler(source))

    def _check(self, value: Any, info: ValidationInfo) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class DateWindow(_Window):
    """A date in `[earliest, today + days_ahead]`. As `Annotated` metadata on `date`."""

    earliest: date
    days_ahead: int

    def latest(self, today: date) -> date:
        return today + timedelta(days=self.days_ahead)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["x-earliest"] = self.earliest.isoformat()
        found["x-days-after-today"] = self.days_ahead
        return found

    def _check(self, value: date, info: ValidationInfo) -> date:
        if value < self.earliest:
            raise PydanticCustomError(
                "date_too_early",
                "must be on or after {earliest}",
                {"earliest": self.earliest.isoformat()},
            )
        today = _context(info).get(TODAY)
        if isinstance(today, date) and value > self.latest(today):
            raise PydanticCustomError(
                "date_too_late",
                "must be on or before {latest}",
                {"latest": self.latest(today).isoformat()},
            )
        return value


@dataclass(frozen=True)
class InstantWindow(_Window):
    """An instant in `[earliest, now + ahead]` (a time taken on a device)."""

    earliest: datetime
    ahead: timedelta

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["x-earliest"] = self.earliest.isoformat()
        found["x-seconds-after-now"] = int(self.ahead.total_seconds())
        return found

    def _check(self, value: datetime, info: ValidationInfo) -> datetime:
        if value < self.earliest:
            raise PydanticCustomError(
                "datetime_too_early",
                "must be at or after {earliest}",
                {"earliest": self.earliest.isoformat()},
            )
        now = _context(info).get(NOW)
        if isinstance(now, datetime) and value > now + self.ahead:
            raise PydanticCustomError(
                "datetime_too_late",
                "must be at or before {latest}",
                {"latest": (now + self.ahead).isoformat()},
            )
        return value


def _context(info: ValidationInfo) -> Mapping[str, Any]:
    return info.context if isinstance(info.context, Mapping) else {}


Day = Annotated[date, DateWindow(PROGRAMME_START, FACT_DAYS_AHEAD)]
"""Something that happened in a club: not before the programme, not after today."""

PlannedDay = Annotated[date, DateWindow(PROGRAMME_START, PLAN_DAYS_AHEAD)]
"""A due date, an end of term or validity, a date a question is asked about."""

BirthDate = Annotated[date, DateWindow(EARLIEST_BIRTH, 0)]
"""Born in 1900 or later, and not in the future."""

LifeDay = Annotated[date, DateWindow(EARLIEST_BIRTH, FACT_DAYS_AHEAD)]
"""A fact of a person's life that may predate the programme (a disability assessment)."""

DeviceInstant = Annotated[
    AwareDatetime,
    InstantWindow(datetime(2006, 1, 1, tzinfo=UTC), timedelta(days=FACT_DAYS_AHEAD)),
]
"""A time taken on a device: its clock may be wrong, but not by years."""

# -- bounded values ----------------------------------------------------------------------

Amount = Annotated[
    int,
    Field(ge=0, le=MAX_AMOUNT, strict=True, description="Amount in VND (integer, never float)"),
]
PositiveAmount = Annotated[
    int,
    Field(
        gt=0, le=MAX_AMOUNT, strict=True, description="Amount in VND (integer, never float), > 0"
    ),
]
Headcount = Annotated[int, Field(ge=0, le=MAX_HEADCOUNT, strict=True)]
Months = Annotated[int, Field(ge=0, le=MAX_MONTHS, strict=True)]

CodeList = Annotated[tuple[Code, ...], Field(max_length=MAX_CODES)]
PeopleIds = Annotated[tuple[UUID, ...], Field(max_length=MAX_PEOPLE)]
FewIds = Annotated[tuple[UUID, ...], Field(max_length=MAX_ITEMS)]
