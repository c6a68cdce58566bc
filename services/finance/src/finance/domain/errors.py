"""Finance's broken rules, each with a stable `type` slug; every one names the field at fault."""

from __future__ import annotations

from ishc_contracts.errors import AlreadyExists, DomainError, InvalidState, NotFound

__all__ = [
    "AlreadyExists",
    "FundLimitReached",
    "InsufficientCash",
    "InvalidPeriod",
    "InvalidState",
    "LoanLimitReached",
    "NotEligible",
    "NotFound",
    "OutsideProduct",
    "Overpayment",
    "PauseOverlaps",
    "WrongDecision",
]


class InsufficientCash(DomainError):
    type = "insufficient-cash"
    title = "The fund has not enough cash"
    status = 409


class FundLimitReached(DomainError):
    type = "fund-limit-reached"
    title = "The fund would take in more than its lifetime ceiling"
    status = 422


class BeforePreviousStep(DomainError):
    type = "before-previous-step"
    title = "A loan's step is dated before the step it follows"
    status = 422


class InvalidPeriod(DomainError):
    type = "invalid-period"
    title = "A period ends before it starts"
    status = 422


class NotEligible(DomainError):
    type = "not-eligible"
    title = "The member may not borrow"
    status = 422


class LoanLimitReached(DomainError):
    type = "loan-limit-reached"
    title = "The member has as many active loans as the product allows"
    status = 409


class OutsideProduct(DomainError):
    type = "outside-product"
    title = "The loan is outside the club's loan product"
    status = 422


class Overpayment(DomainError):
    type = "overpayment"
    title = "The repayment is more than is owed"
    status = 422


class PauseOverlaps(DomainError):
    type = "pause-overlaps"
    title = "Delinquency pauses of a loan never overlap"
    status = 409


class WrongDecision(DomainError):
    type = "wrong-decision"
    title = "The meeting decision does not cover this"
    status = 422
