"""Collective voice: issues, petitions to authorities, their answers."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from advocacy.application.aggregates import ISSUE, SESSION
from advocacy.domain import issue
from advocacy.domain.errors import InvalidTransition, IssueNotFound
from ishc_contracts.advocacy.commands import (
    RaiseIssue,
    RecordAuthorityResponse,
    RecordAwarenessSession,
    SubmitPetition,
)
from ishc_contracts.advocacy.events import (
    AuthorityResponded,
    AwarenessSessionHeld,
    IssueRaised,
    PetitionSubmitted,
)
from ishc_contracts.errors import AlreadyExists
from ishc_runtime.testing.specs import spec

pytestmark = pytest.mark.unit

ISSUE_ID, CLUB, PETITION, M1 = (UUID(int=n) for n in (1, 2, 3, 4))
RAISE = RaiseIssue(
    issue_id=ISSUE_ID, club_id=CLUB, topic="Social pension not paid since July",
    raised_on=date(2025, 9, 1), affected_member_ids=(M1,),
)  # fmt: skip
RAISED = IssueRaised(
    issue_id=ISSUE_ID, club_id=CLUB, topic="Social pension not paid since July",
    raised_on=date(2025, 9, 1), affected_member_ids=(M1,),
)  # fmt: skip
PETITION_CMD = SubmitPetition(
    issue_id=ISSUE_ID, petition_id=PETITION, authority="ubnd-xa", submitted_on=date(2025, 9, 5),
    signatures=42,
)  # fmt: skip
SUBMITTED = PetitionSubmitted(
    issue_id=ISSUE_ID, club_id=CLUB, petition_id=PETITION, authority="ubnd-xa",
    submitted_on=date(2025, 9, 5), signatures=42,
)  # fmt: skip
ANSWER = RecordAuthorityResponse(
    issue_id=ISSUE_ID, petition_id=PETITION, responded_on=date(2025, 9, 20), outcome="accepted"
)
ANSWERED = AuthorityResponded(
    issue_id=ISSUE_ID, club_id=CLUB, petition_id=PETITION, responded_on=date(2025, 9, 20),
    outcome="accepted",
)  # fmt: skip


def test_an_issue_goes_to_an_authority_and_gets_an_answer() -> None:
    spec(ISSUE).when(lambda s: issue.raise_issue(s, RAISE)).then(RAISED)
    spec(ISSUE).given(RAISED).when(lambda s: issue.submit_petition(s, PETITION_CMD)).then(SUBMITTED)
    spec(ISSUE).given(RAISED, SUBMITTED).when(lambda s: issue.record_response(s, ANSWER)).then(
        ANSWERED
    )


def test_refusals() -> None:
    spec(ISSUE).given(RAISED).when(lambda s: issue.raise_issue(s, RAISE)).then_raises(AlreadyExists)
    spec(ISSUE).when(lambda s: issue.submit_petition(s, PETITION_CMD)).then_raises(IssueNotFound)
    spec(ISSUE).given(RAISED).when(lambda s: issue.record_response(s, ANSWER)).then_raises(
        InvalidTransition, field="petition_id"
    )
    spec(ISSUE).given(RAISED, SUBMITTED, ANSWERED).when(
        lambda s: issue.record_response(s, ANSWER)
    ).then_raises(InvalidTransition)


SESSION_CMD = RecordAwarenessSession(
    session_id=UUID(int=10), club_id=CLUB, topic="social_pension_2025", held_on=date(2025, 6, 21),
    attendee_member_ids=(M1, UUID(int=11)), guests=3,
)  # fmt: skip


def test_an_awareness_session_is_recorded_once_with_its_attendance() -> None:
    held = AwarenessSessionHeld(**SESSION_CMD.model_dump())
    spec(SESSION).when(lambda s: issue.record_session(s, SESSION_CMD)).then(held)
    spec(SESSION).given(held).when(lambda s: issue.record_session(s, SESSION_CMD)).then_raises(
        AlreadyExists, field="session_id"
    )
    twice = SESSION_CMD.model_copy(update={"attendee_member_ids": (M1, M1)})
    spec(SESSION).when(lambda s: issue.record_session(s, twice)).then_raises(
        InvalidTransition, field="attendee_member_ids"
    )
