"""A request's club scope: filled in from the payload, or refused when it differs."""

from __future__ import annotations

from uuid import UUID

import pytest

from ishc_contracts import SYSTEM_ACTOR, CommandEnvelope
from ishc_contracts.errors import NotInScope
from membership.application.facts import scoped

pytestmark = pytest.mark.unit

CLUB = UUID(int=1)


def envelope(club_id: UUID | None) -> CommandEnvelope:
    return CommandEnvelope(command_id=UUID(int=9), type="X", actor=SYSTEM_ACTOR, club_id=club_id)


def test_an_unscoped_request_takes_the_club_of_its_payload() -> None:
    assert scoped(envelope(None), CLUB).club_id == CLUB
    assert scoped(envelope(CLUB), CLUB).club_id == CLUB


def test_a_request_scoped_to_another_club_is_refused_with_the_uniform_answer() -> None:
    with pytest.raises(NotInScope) as refused:
        scoped(envelope(UUID(int=2)), CLUB)
    assert refused.value.field == "club_id"
    assert str(UUID(int=2)) not in str(refused.value) and str(CLUB) not in str(refused.value)
