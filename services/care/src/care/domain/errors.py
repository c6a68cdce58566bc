"""Typed refusals of the care domain: each names the field at fault; nothing is appended."""

from __future__ import annotations

from ishc_contracts.errors import AlreadyExists, DomainError, InvalidState, NotFound


class CaseNotFound(NotFound):
    type = "care-case-not-found"
    title = "No such care case"


class CaseExists(AlreadyExists):
    type = "care-case-exists"
    title = "The care case exists already"


class CaseClosed(InvalidState):
    type = "care-case-closed"
    title = "The care case is closed"


class WrongCaseStatus(InvalidState):
    type = "care-case-status"
    title = "Not allowed in the case's current status"


class InTheFuture(DomainError):
    type = "in-the-future"
    title = "The date or time is in the future"


class BeforePlanStart(DomainError):
    type = "before-plan-start"
    title = "The date is before the care plan started"


class OutOfRange(DomainError):
    type = "out-of-physiological-range"
    title = "A measurement is outside the physiological range"


class InvalidWeek(DomainError):
    type = "invalid-iso-week"
    title = "No such ISO week"


class WeekNotOver(InvalidState):
    type = "week-not-over"
    title = "The ISO week has not ended yet in Viet Nam"


class MemberIsAnotherPerson(DomainError):
    type = "member-is-another-person"
    title = "The member named is another person"
