"""Typed errors that cross service boundaries, and the reply every command or query returns.

Domain code raises `DomainError` subclasses; the edge turns them into `Problem` replies
(RFC 9457 shape), which the gateway passes on as problem+json. `type` is a stable slug.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class FieldIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class Problem(BaseModel):
    """A failure a client can act on."""

    model_config = ConfigDict(frozen=True)

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldIssue] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)


class Reply(BaseModel):
    """What every request/reply endpoint answers: a result, or a problem."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    result: dict[str, Any] | None = None
    problem: Problem | None = None

    @classmethod
    def success(cls, result: dict[str, Any]) -> Reply:
        return cls(ok=True, result=result)

    @classmethod
    def failure(cls, problem: Problem) -> Reply:
        return cls(ok=False, problem=problem)


class DomainError(Exception):
    """A command broke a business rule. Nothing was appended."""

    type: ClassVar[str] = "domain-rule"
    title: ClassVar[str] = "The request breaks a business rule"
    status: ClassVar[int] = 422

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self) -> Problem:
        issues = [FieldIssue(field=self.field, message=self.detail)] if self.field else []
        return Problem(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            errors=issues,
            extra=self.extra,
        )


class NotFound(DomainError):
    type = "not-found"
    title = "No such thing"
    status = 404


class NotInScope(NotFound):
    """An object outside the club the request acts for, or no such object at all: one answer
    for both, so that no id can be probed for existence (issue #18). It names the field that
    holds the id (the caller sent it; which field says nothing of the object) and nothing else.
    The gateway answers a club outside the caller's scope with the same words."""

    UNIFORM_DETAIL: ClassVar[str] = "no such thing in your scope"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(self.UNIFORM_DETAIL, field=field)


class AlreadyExists(DomainError):
    type = "already-exists"
    title = "It exists already"
    status = 409


class InvalidState(DomainError):
    type = "invalid-state"
    title = "Not allowed in the current state"
    status = 409
