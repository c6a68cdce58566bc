"""Benefit facts advocacy itself records about a person (no other service knows them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ishc_contracts import Event
from ishc_contracts.advocacy.commands import RecordBenefitFacts
from ishc_contracts.advocacy.events import BenefitFactsRecorded


class PersonFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    monthly_pension: int | None = None
    has_supporter: bool | None = None
    especially_difficult_commune: bool | None = None


def evolve(state: PersonFacts, event: Event) -> PersonFacts:
    if isinstance(event, BenefitFactsRecorded):
        # A fact left out (None) is unchanged: the club records what it learnt.
        known = {
            k: v
            for k, v in event.model_dump(
                include={"monthly_pension", "has_supporter", "especially_difficult_commune"}
            ).items()
            if v is not None
        }
        return state.model_copy(update=known)
    return state


def record_facts(state: PersonFacts, cmd: RecordBenefitFacts) -> list[Event]:
    new = evolve(state, _event(cmd))
    return [] if new == state else [_event(cmd)]


def _event(cmd: RecordBenefitFacts) -> BenefitFactsRecorded:
    return BenefitFactsRecorded(**cmd.model_dump())
