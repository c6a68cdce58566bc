"""An idempotency key's scope: who sent which command with which body (issue #18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ishc_contracts import Actor, CommandEnvelope, new_id
from ishc_runtime.idempotency import IdempotencyKeyReused, KeyScope

LAN = Actor(user_id="lan", role="club_secretary")
MAI = Actor(user_id="mai", role="club_secretary")


def envelope(**changes: object) -> CommandEnvelope:
    base: dict[str, object] = {
        "command_id": new_id(),
        "type": "RecordVisit",
        "actor": LAN,
        "club_id": None,
        "payload": {"case_id": "c-1", "visited_on": "2026-03-02"},
    }
    return CommandEnvelope.model_validate({**base, **changes})


def stored(scope: KeyScope) -> dict[str, object]:
    return {
        "principal": scope.principal,
        "command_type": scope.command_type,
        "body_hash": scope.body_hash,
    }


def test_an_honest_retry_has_the_same_scope_whatever_its_times_and_key_order() -> None:
    first = envelope(occurred_at=datetime(2026, 3, 2, tzinfo=UTC))
    retry = envelope(
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=5),
        correlation_id=new_id(),
        payload={"visited_on": "2026-03-02", "case_id": "c-1"},
    )

    KeyScope.of(retry).check(stored(KeyScope.of(first)))


@pytest.mark.parametrize(
    "changes",
    [
        {"actor": MAI},
        {"type": "HoldMeeting"},
        {"payload": {"case_id": "c-2", "visited_on": "2026-03-02"}},
        {"club_id": new_id()},
    ],
    ids=["another caller", "another command", "another body", "another club"],
)
def test_a_key_reused_for_another_request_is_refused(changes: dict[str, object]) -> None:
    first = KeyScope.of(envelope())

    with pytest.raises(IdempotencyKeyReused) as raised:
        KeyScope.of(envelope(**changes)).check(stored(first))

    problem = raised.value.problem()
    assert (problem.type, problem.status) == ("idempotency-key-reused", 422)
    assert problem.errors[0].field == "Idempotency-Key"


def test_a_key_recorded_before_keys_were_scoped_stays_a_repeat() -> None:
    KeyScope.of(envelope()).check({"principal": None, "command_type": None, "body_hash": None})
