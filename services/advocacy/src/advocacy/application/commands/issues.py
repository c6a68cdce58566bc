"""Collective-voice handlers: issues, petitions, authorities' answers, awareness sessions."""

from __future__ import annotations

from advocacy.application.aggregates import ISSUE, SESSION
from advocacy.application.routes import routes
from advocacy.domain import issue
from ishc_contracts.advocacy.commands import (
    RaiseIssue,
    RecordAuthorityResponse,
    RecordAwarenessSession,
    SubmitPetition,
)

routes.decides(RaiseIssue, ISSUE, lambda c: c.issue_id, issue.raise_issue)
routes.decides(SubmitPetition, ISSUE, lambda c: c.issue_id, issue.submit_petition)
routes.decides(RecordAuthorityResponse, ISSUE, lambda c: c.issue_id, issue.record_response)
routes.decides(RecordAwarenessSession, SESSION, lambda c: c.session_id, issue.record_session)
