"""Advocacy's typed refusals (stable `type` slugs, see ishc_contracts.errors)."""

from __future__ import annotations

from ishc_contracts.errors import AlreadyExists, DomainError, InvalidState, NotFound


class ParameterTableInvalid(DomainError):
    type = "parameter-table-invalid"
    title = "The policy-parameter table is inconsistent"


class UnknownScheme(DomainError):
    type = "unknown-scheme"
    title = "No eligibility rule for this scheme"


class InvalidTransition(InvalidState):
    type = "invalid-transition"
    title = "The case cannot move to that stage from where it is"


class CaseNotFound(NotFound):
    type = "case-not-found"
    title = "No such entitlement case"


class CaseExists(AlreadyExists):
    type = "case-exists"
    title = "The entitlement case exists already"


class IssueNotFound(NotFound):
    type = "issue-not-found"
    title = "No such collective issue"


class InvalidDecision(DomainError):
    type = "invalid-decision"
    title = "The decision is incomplete"
