"""Collective voice: an issue a club raises, petitions to authorities, their answers; and
rights-awareness sessions with their attendance."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from advocacy.domain.errors import InvalidTransition, IssueNotFound
from ishc_contracts import Event
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


class Issue(BaseModel):
    model_config = ConfigDict(frozen=True)

    raised: bool = False
    club_id: UUID | None = None
    petitions: tuple[UUID, ...] = ()
    answered: tuple[UUID, ...] = ()


def evolve(state: Issue, event: Event) -> Issue:
    match event:
        case IssueRaised():
            return Issue(raised=True, club_id=event.club_id)
        case PetitionSubmitted():
            return state.model_copy(update={"petitions": (*state.petitions, event.petition_id)})
        case AuthorityResponded():
            return state.model_copy(update={"answered": (*state.answered, event.petition_id)})
    return state


def raise_issue(state: Issue, cmd: RaiseIssue) -> list[Event]:
    if state.raised:
        raise AlreadyExists("the issue was raised already", field="issue_id")
    return [
        IssueRaised(
            issue_id=cmd.issue_id, club_id=cmd.club_id, topic=cmd.topic, raised_on=cmd.raised_on,
            affected_member_ids=cmd.affected_member_ids, description=cmd.description,
        )
    ]  # fmt: skip


def submit_petition(state: Issue, cmd: SubmitPetition) -> list[Event]:
    if not state.raised or state.club_id is None:
        raise IssueNotFound("no such issue", field="issue_id")
    if cmd.petition_id in state.petitions:
        raise AlreadyExists("the petition was submitted already", field="petition_id")
    return [
        PetitionSubmitted(
            issue_id=cmd.issue_id, club_id=state.club_id, petition_id=cmd.petition_id,
            authority=cmd.authority, submitted_on=cmd.submitted_on, signatures=cmd.signatures,
        )
    ]  # fmt: skip


def record_response(state: Issue, cmd: RecordAuthorityResponse) -> list[Event]:
    if not state.raised or state.club_id is None:
        raise IssueNotFound("no such issue", field="issue_id")
    if cmd.petition_id not in state.petitions:
        raise InvalidTransition("no such petition on this issue", field="petition_id")
    if cmd.petition_id in state.answered:
        raise InvalidTransition("the authority answered this petition already", field="petition_id")
    return [
        AuthorityResponded(
            issue_id=cmd.issue_id, club_id=state.club_id, petition_id=cmd.petition_id,
            responded_on=cmd.responded_on, outcome=cmd.outcome, summary=cmd.summary,
        )
    ]  # fmt: skip


class Session(BaseModel):
    """A rights-awareness session: recorded once, with its attendance."""

    model_config = ConfigDict(frozen=True)

    held: bool = False


def evolve_session(state: Session, event: Event) -> Session:
    return Session(held=True) if isinstance(event, AwarenessSessionHeld) else state


def record_session(state: Session, cmd: RecordAwarenessSession) -> list[Event]:
    if state.held:
        raise AlreadyExists("the session was recorded already", field="session_id")
    if len(set(cmd.attendee_member_ids)) != len(cmd.attendee_member_ids):
        raise InvalidTransition("an attendee is listed twice", field="attendee_member_ids")
    return [AwarenessSessionHeld(**cmd.model_dump())]
