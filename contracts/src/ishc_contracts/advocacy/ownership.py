"""Advocacy's ownership declarations (see `ishc_contracts.ownership`)."""

from __future__ import annotations

from typing import Any

from ishc_contracts.advocacy import commands as c
from ishc_contracts.advocacy import events as e
from ishc_contracts.ownership import (
    AWARENESS_SESSION,
    CLAIM,
    ISSUE,
    MEMBER,
    NEW_INSIDE_STREAM,
    PERSON,
    SCREENING,
    Grant,
    GrantRule,
    Owned,
    refs,
    refs_or_new,
    streams,
    unchecked,
    within,
)

_CLAIM = {"case_id": streams(CLAIM)}
_ISSUE = {"issue_id": streams(ISSUE)}

OWNED = (
    Owned(c.ScreenEligibility, {"screening_id": refs_or_new(SCREENING), "person_id": refs(PERSON)}),
    Owned(c.RecordBenefitFacts, {"person_id": refs_or_new(PERSON), "club_id": within()}),
    Owned(
        c.OpenEntitlementCase,
        {
            "case_id": refs_or_new(CLAIM),
            "person_id": refs_or_new(PERSON),
            "club_id": within(),
            "screening_id": refs(SCREENING),
        },
    ),
    Owned(c.MarkDocumentsReady, _CLAIM),
    Owned(c.RecordSubmission, _CLAIM),
    Owned(c.CheckSubmissionDeadline, _CLAIM),
    Owned(c.RecordDecision, _CLAIM),
    Owned(c.FileAppeal, _CLAIM),
    Owned(c.ConfirmPayment, {**_CLAIM, "payment_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.CloseEntitlementCase, _CLAIM),
    Owned(
        c.RaiseIssue,
        {
            "issue_id": refs_or_new(ISSUE),
            "club_id": within(),
            "affected_member_ids[]": refs(MEMBER),
        },
    ),
    Owned(c.SubmitPetition, {**_ISSUE, "petition_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(c.RecordAuthorityResponse, {**_ISSUE, "petition_id": unchecked(NEW_INSIDE_STREAM)}),
    Owned(
        c.RecordAwarenessSession,
        {
            "session_id": refs_or_new(AWARENESS_SESSION),
            "club_id": within(),
            "attendee_member_ids[]": refs(MEMBER),
        },
    ),
)


def _club(ev: Any) -> Any:
    return getattr(ev, "club_id", None)


GRANTS: dict[type[Any], GrantRule] = {
    e.EligibilityScreened: lambda ev: (
        [Grant(SCREENING, ev.screening_id, ev.club_id)] if _club(ev) else []
    ),
    e.BenefitFactsRecorded: lambda ev: [Grant(PERSON, ev.person_id, ev.club_id)],
    e.EntitlementCaseOpened: lambda ev: [
        Grant(CLAIM, ev.case_id, ev.club_id),
        Grant(PERSON, ev.person_id, ev.club_id),
    ],
    e.IssueRaised: lambda ev: [Grant(ISSUE, ev.issue_id, ev.club_id)],
    e.AwarenessSessionHeld: lambda ev: [Grant(AWARENESS_SESSION, ev.session_id, ev.club_id)],
}
