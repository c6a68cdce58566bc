"""Finance contract basics: the service's base event class and the value types its events
and commands share. Every amount is integer VND; interest rates are integer basis points per
month (0.5 %/month = 50) so that no rate is ever a float either."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ishc_contracts.events import Event

FundType = Literal["income_generation", "activity", "mutual_aid"]
CapitalSource = Literal[
    "project", "state_budget", "commune_fund", "donation", "member_fee", "other"
]
InterestMethod = Literal["flat", "declining"]
ArrearsBucket = Literal["1-30", "31-60", "61-90", "90+"]
PauseReason = Literal["disaster", "illness", "other"]
WriteOffReason = Literal["death", "disaster", "illness", "uncollectable", "other"]
AidReason = Literal["illness", "death", "disaster", "other"]
PassOn = Literal["offspring", "value"]

TermMonths = Annotated[int, Field(ge=1, le=120)]
RateBp = Annotated[
    int, Field(ge=0, le=1000, description="Interest in basis points per month (50 = 0.5 %)")
]


class _Finance(Event):
    service: ClassVar[str] = "finance"
