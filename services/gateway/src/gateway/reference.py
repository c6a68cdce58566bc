"""Reference lists (`ishc_contracts.reference`): the codes commands accept, with their labels,
validity dates and legal basis, for the dashboard's pickers and any client.

The lists are data shipped with the contracts, the same the services validate against, so the
gateway answers from them directly without asking a service.

No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at
runtime.
"""

import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from gateway import problems
from gateway.api import PrincipalDep
from ishc_contracts.reference import lists


class ReferenceEntry(BaseModel):
    code: str
    label: str
    label_vi: str | None = None
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    legal_basis: str | None = None
    aliases: list[str] = Field(
        default_factory=list,
        description="Other wording accepted for this code and replaced by it (e.g. a club's "
        "'moderate' disability is the law's 'mild')",
    )


class ReferencePattern(BaseModel):
    pattern: str
    label: str
    example: str


class ReferenceAnswer(BaseModel):
    name: str
    description: str
    on: datetime.date | None = Field(description="Only codes valid on this day; null: all")
    entries: list[ReferenceEntry]
    patterns: list[ReferencePattern] = Field(
        default_factory=list, description="Codes accepted by shape (admin-unit codes)"
    )


class ReferenceIndex(BaseModel):
    lists: dict[str, str] = Field(description="List name -> what it holds")


def reference_router() -> APIRouter:
    router = APIRouter(prefix="/v1/reference", tags=["reference"])

    @router.get(
        "",
        summary="The reference lists",
        operation_id="reference_index",
        response_model=ReferenceIndex,
        responses=problems.ERROR_RESPONSES,
    )
    async def index(principal: PrincipalDep) -> dict[str, Any]:
        return {"lists": {name: ref.description for name, ref in lists().items()}}

    @router.get(
        "/{name}",
        summary="One reference list",
        description="The codes of one list (schemes, offices, loan_purposes, poverty_standards, "
        "disability_levels) with labels, validity dates and legal basis; with `on`, only "
        "those valid that day. Commands refuse other codes with 422 naming the field.",
        operation_id="reference_list",
        response_model=ReferenceAnswer,
        responses=problems.ERROR_RESPONSES,
    )
    async def one(
        principal: PrincipalDep,
        name: Annotated[str, Path(max_length=64, examples=["schemes"])],
        on: Annotated[datetime.date | None, Query(description="Valid on this day")] = None,
    ) -> dict[str, Any]:
        found = lists().get(name)
        if found is None:
            known = ", ".join(sorted(lists()))
            raise problems.not_found(f"no reference list {name!r}; the lists are {known}")
        return found.as_json(on)

    return router
