"""Screening aggregate: one EligibilityScreened per screening id, never recomputed.

Replaying the stream folds the stored result; the rules and the parameter table are not
consulted, so changing them later cannot change a past screening.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from advocacy.domain.facts import Facts
from advocacy.domain.parameters import ParameterTable
from advocacy.domain.rules import rule_for
from ishc_contracts import Event
from ishc_contracts.advocacy.events import EligibilityScreened, ScreeningResult


class ScreeningState(BaseModel):
    model_config = ConfigDict(frozen=True)

    screened: EligibilityScreened | None = None

    @property
    def result(self) -> ScreeningResult | None:
        return None if self.screened is None else self.screened.result


def evolve(state: ScreeningState, event: Event) -> ScreeningState:
    if isinstance(event, EligibilityScreened):
        return ScreeningState(screened=event)
    return state


def screen(
    state: ScreeningState,
    *,
    screening_id: UUID,
    person_id: UUID,
    member_id: UUID | None,
    club_id: UUID,
    scheme: str,
    as_of: date,
    facts: Facts,
    params: ParameterTable,
    trigger: str | None = None,
) -> list[Event]:
    """Screen once: a repeated ScreenEligibility with the same id appends nothing."""
    if state.screened is not None:
        return []
    version, rule = rule_for(scheme)
    outcome = rule(facts, as_of, params)
    return [
        EligibilityScreened(
            screening_id=screening_id,
            person_id=person_id,
            member_id=member_id,
            club_id=club_id,
            scheme=scheme,
            as_of=as_of,
            result=outcome.result,
            rule_version=version,
            parameters_version=params.version,
            expected_monthly_amount=outcome.amount,
            expected_lump_sum=outcome.lump_sum,
            state_share_percent=outcome.state_share_percent,
            reasons=outcome.reasons,
            trigger=trigger,
            facts=facts.snapshot(as_of),
        )
    ]
