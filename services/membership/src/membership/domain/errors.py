"""Membership's typed refusals. Each names the field at fault; nothing is appended."""

from __future__ import annotations

from ishc_contracts.errors import AlreadyExists, DomainError, NotFound


class InvalidDate(DomainError):
    type = "invalid-date"
    title = "The date is impossible here"


class UnknownClub(NotFound):
    type = "unknown-club"
    title = "No such club"


class UnknownAdminUnit(DomainError):
    type = "unknown-admin-unit"
    title = "No such administrative unit"


class UnknownActivityArea(DomainError):
    type = "unknown-activity-area"
    title = "Not an activity area in the reference list"


class DuplicateAdmission(AlreadyExists):
    type = "duplicate-admission"
    title = "The person is already an active member"


class NotAMember(NotFound):
    type = "not-a-member"
    title = "No such member"


class UnknownMeeting(NotFound):
    type = "unknown-meeting"
    title = "No such meeting"


class BoardRuleBroken(DomainError):
    type = "board-rule"
    title = "The board breaks a governance rule"


class DecisionIncomplete(DomainError):
    type = "decision-incomplete"
    title = "The decision lacks what finance needs to act on it"
