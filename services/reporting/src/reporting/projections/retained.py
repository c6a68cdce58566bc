"""Statistical facts derived from personal data, kept after the data's keys are destroyed.

Reporting counts people by facts it derives from values their owner seals: the month a
member turns 60 (from the birth date), the ethnic-minority flag, a household's poverty
status. Once the person's keys are destroyed (erasure, the end of a retention period) those
values read as `None`, and a rebuild would count the person differently: a year's report
would change after it was sent. So each derived fact is kept, by the event it came from, in
`rpt_retained_facts`, which no rebuild drops (it is none of the projections' tables), and a
value that no longer opens is taken from there. Only the derived fact is kept, never a name,
a birth date or a document number (ADR 0071).
"""

from __future__ import annotations

from datetime import date

from ishc_contracts import EventEnvelope
from ishc_runtime.projections import Write

Fact = date | bool | str

_KEEP = (
    "INSERT INTO rpt_retained_facts (event_id, fact, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (event_id, fact) DO NOTHING"
)


def _text(value: Fact) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return value


def retain(env: EventEnvelope, facts: dict[str, Fact | None]) -> list[Write]:
    """Keep the facts of `env` that are known (a `None` is unknown or no longer opens)."""
    return [
        Write(_KEEP, (env.event_id, fact, _text(value)))
        for fact, value in facts.items()
        if value is not None
    ]


def recalled(given: int, event_id: int, fact: str, sql_type: str) -> str:
    """SQL for a fact: the value in parameter `given`, else the one kept for the event in
    parameter `event_id` (`fact` and `sql_type` are the caller's constants, never input)."""
    return (
        f"coalesce(${given}, (SELECT r.value::{sql_type} FROM rpt_retained_facts r"
        f" WHERE r.event_id = ${event_id} AND r.fact = '{fact}'))"
    )
