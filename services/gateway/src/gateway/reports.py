"""Reports: indicators N1-N16 as JSON, CSV or XLSX, scoped by role (`policy.report_scope`).

The reporting service computes them (`ishc_contracts.reporting.queries`); these routes scope
the request (provinces, unit, small-cell suppression), ask, and shape the answer.

No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at
runtime.
"""

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway import problems
from gateway.api import PrincipalDep, gateway_of
from gateway.auth import Principal
from gateway.policy import ReportDenied, report_scope
from ishc_contracts import Actor, QueryEnvelope
from ishc_contracts.errors import FieldIssue
from ishc_contracts.reporting.queries import (
    PERIOD_PATTERN,
    SUPPRESSION_THRESHOLD,
    ExportFormat,
    Level,
    Month,
    ReportBasis,
    Scheme,
)
from ishc_contracts.values import Code

SERVICE = "reporting"
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportParams(BaseModel):
    """The HTTP parameters of every indicators route."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        pattern=PERIOD_PATTERN,
        description="A month 2025-05, a quarter 2025-Q2, a year 2025 or a programme period "
        "2021-2025; stocks and ages are taken on its last day",
        examples=["2025-05"],
    )
    level: Level = Field(
        default="nation",
        description="One row per unit of this level. Provincial officers: province, commune "
        "or club; secretary and board: club",
    )
    scheme: Scheme = Field(
        default="2025_34",
        description="Admin map: 2025_34 (34 provinces, from 1 Jul 2025) or legacy_63",
    )
    unit: Code | None = Field(
        default=None,
        description="Only this unit: a club id (level=club), <province>:<ward> (commune) or a "
        "province code (province). A unit with nothing in your scope is 404",
        examples=["79"],
    )
    province: list[Code] = Field(
        default_factory=list,
        max_length=64,
        description="Only clubs in these provinces (repeat the parameter). A code on the 2025 "
        "map names the merged province; a code the 2025 map retired names the legacy one. "
        "Provincial officers: default all of theirs, others are 404",
        examples=[["79"]],
    )
    commune: list[Code] = Field(
        default_factory=list,
        max_length=64,
        description="Only clubs in these communes (repeat the parameter): <province>:<ward> "
        "keys on the chosen map, as the commune level lists them; within the provinces above "
        "(a provincial officer's by default), so a commune elsewhere reports nothing",
        examples=[["79:26734"]],
    )
    threshold: int = Field(
        default=SUPPRESSION_THRESHOLD,
        ge=1,
        le=10_000,
        description="Counts of sensitive categories below this are suppressed (null) "
        "outside the club. Anyone but the club's own roles gets at least the gateway's floor "
        "(GATEWAY_REPORT_THRESHOLD_FLOOR, 5): a smaller value is raised to it",
    )


class UnitIndicators(BaseModel):
    unit: str = Field(description="Unit key: club id, <province>:<ward>, province code, VN")
    name: str
    indicators: dict[str, Any] = Field(
        description="N1-N16 by name (see the reporting README); null when suppressed"
    )
    suppressed: list[str] = Field(description="Indicators hidden because the cell is small")


class IndicatorsReport(BaseModel):
    period: str
    level: Level
    scheme: Scheme
    threshold: int
    provinces: list[str] | None = Field(
        description="The provinces the report was restricted to (null: none)"
    )
    communes: list[str] | None = Field(
        default=None, description="The communes the report was restricted to (null: none)"
    )
    units: list[UnitIndicators]
    basis: ReportBasis | None = Field(
        default=None,
        description="How far the reporting projections had got when the figures were "
        "computed; `complete` false means some events are not counted yet (behind, parked "
        "or stopped). Null from a reporting service that does not say",
    )


class IndicatorsAnswer(BaseModel):
    data: IndicatorsReport


EXAMPLE = {
    "data": {
        "period": "2025-05",
        "level": "province",
        "scheme": "2025_34",
        "threshold": 5,
        "provinces": ["79"],
        "units": [
            {
                "unit": "79",
                "name": "Thành phố Hồ Chí Minh",
                "indicators": {"members": 812, "older_pct": 46.1, "disability_members": None},
                "suppressed": ["disability_members", "disability_pct"],
            }
        ],
    }
}

Params = Annotated[ReportParams, Query()]

COMPLETE_HEADER = "X-ISHC-Report-Complete"

SCOPING = (
    "\n\nScoping: national admin and operator any level; provincial officer province, commune "
    "or club level restricted to their provinces (nation level 403); small cells suppressed "
    "for all of them at every level, with a threshold never below the gateway's floor. "
    "Secretary and board level=club for their own club, cells shown; volunteer 403. A unit "
    "or province outside your scope is 404, as is a unit with no club."
)


class ClubsOverTimeParams(BaseModel):
    """The HTTP parameters of the clubs-over-time route."""

    model_config = ConfigDict(extra="forbid")

    month: list[Month] = Field(
        min_length=1,
        max_length=36,
        description="Months to count (repeat the parameter), each 2025-05",
        examples=[["2025-04", "2025-05"]],
    )
    province: list[Code] = Field(
        default_factory=list,
        max_length=64,
        description="Only clubs in these provinces, as for `/v1/reports/indicators`",
        examples=[["79"]],
    )


class MonthClubs(BaseModel):
    month: str
    clubs_cumulative: int = Field(description="Clubs founded by the month's last day (N1)")


class ClubsOverTimeReport(BaseModel):
    months: list[MonthClubs]
    basis: ReportBasis | None = None


class ClubsOverTimeAnswer(BaseModel):
    data: ClubsOverTimeReport


def no_consistency_token(request: Request) -> None:
    """Reports fold every service's published events; a token names one write in one
    service's store, which reporting cannot look up. Refused, so that a client never takes an
    answer for one that reflects its write (issue #18); `X-ISHC-Report-Complete` says what a
    report counts."""
    if "consistency" in request.query_params:
        raise problems.ProblemError(
            problems.make(
                "token-not-applicable",
                422,
                "reports do not take a consistency token: they count what every service has "
                "published (see the completeness flag)",
                errors=[FieldIssue(field="consistency", message="not applicable to reports")],
            )
        )


def reports_router() -> APIRouter:
    router = APIRouter(
        prefix="/v1/reports", tags=["reports"], dependencies=[Depends(no_consistency_token)]
    )

    @router.get(
        "/indicators",
        summary="Impact indicators N1-N16 per unit",
        description="Indicators of Decisions 1336/1648 per club, commune, province or nation, "
        "for a month, quarter, year or programme period, on either admin map." + SCOPING,
        operation_id="reports_indicators",
        response_model=IndicatorsAnswer,
        responses={
            200: {"content": {"application/json": {"example": EXAMPLE}}},
            **problems.ERROR_RESPONSES,
        },
    )
    async def indicators(
        request: Request, params: Params, principal: PrincipalDep
    ) -> IndicatorsAnswer:
        result = await _ask(request, principal, params, "Indicators", {})
        if params.unit is not None and not result.get("units"):
            raise problems.not_found()
        return IndicatorsAnswer.model_validate({"data": result})

    @router.get(
        "/clubs-over-time",
        summary="Clubs to date at the end of each month",
        description="N1 `clubs_cumulative` for each month asked, in one light query: a trend "
        "without computing a full report per month. Scoping as for the province level of "
        "`/v1/reports/indicators`: national roles all clubs, provincial officers their "
        "provinces, other roles 403.",
        operation_id="reports_clubs_over_time",
        response_model=ClubsOverTimeAnswer,
        responses=problems.ERROR_RESPONSES,
    )
    async def clubs_over_time(
        request: Request,
        params: Annotated[ClubsOverTimeParams, Query()],
        principal: PrincipalDep,
    ) -> ClubsOverTimeAnswer:
        scope = report_scope(principal, "province", None, tuple(params.province))
        if isinstance(scope, ReportDenied):
            raise _refusal(scope)
        values = {
            "months": params.month,
            "provinces": None if scope.provinces is None else list(scope.provinces),
        }
        result = await _answer(request, principal, "ClubsOverTime", values)
        return ClubsOverTimeAnswer.model_validate({"data": result})

    downloads: tuple[tuple[ExportFormat, str, str], ...] = (
        ("csv", CSV_MEDIA, "CSV"),
        ("xlsx", XLSX_MEDIA, "XLSX"),
    )
    for fmt, media, label in downloads:
        router.add_api_route(
            f"/indicators.{fmt}",
            _download(fmt),
            methods=["GET"],
            summary=f"Impact indicators N1-N16 per unit, as {label}",
            description=f"The same report as `GET /v1/reports/indicators`, one row per unit, as "
            f"a {label} attachment (`Content-Disposition: attachment; filename=...`). "
            f"`{COMPLETE_HEADER}: true|false` says whether every event published when it was "
            "computed is counted; the XLSX also has a `basis` sheet." + SCOPING,
            operation_id=f"reports_indicators_{fmt}",
            response_class=Response,
            responses={
                200: {
                    "description": f"The {label} file",
                    "content": {media.split(";")[0]: {"schema": {"type": "string"}}},
                },
                **problems.ERROR_RESPONSES,
            },
        )
    return router


def _download(fmt: ExportFormat) -> Any:
    async def download(request: Request, params: Params, principal: PrincipalDep) -> Response:
        result = await _ask(request, principal, params, "ExportIndicators", {"format": fmt})
        if params.unit is not None and not result.get("rows"):
            raise problems.not_found()
        try:
            content = base64.b64decode(str(result["content_base64"]), validate=True)
            filename = str(result["filename"])
        except (KeyError, ValueError, binascii.Error) as error:
            raise problems.ProblemError(
                problems.make("internal", 500, "the report file was malformed")
            ) from error
        headers = {"Content-Disposition": f'attachment; filename="{_safe(filename)}"'}
        if isinstance(result.get("complete"), bool):
            headers[COMPLETE_HEADER] = str(result["complete"]).lower()
        return Response(
            content, media_type=CSV_MEDIA if fmt == "csv" else XLSX_MEDIA, headers=headers
        )

    return download


async def _ask(
    request: Request,
    principal: Principal,
    params: ReportParams,
    query: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    scope = report_scope(principal, params.level, params.unit, tuple(params.province))
    if isinstance(scope, ReportDenied):
        raise _refusal(scope)
    values: dict[str, Any] = {
        "period": params.period,
        "level": params.level,
        "scheme": params.scheme,
        "unit": scope.unit,
        "provinces": None if scope.provinces is None else list(scope.provinces),
        "communes": list(params.commune) or None,
        "threshold": scope.threshold(
            params.threshold, gateway_of(request).settings.report_threshold_floor
        ),
        "suppress_clubs": scope.suppress_clubs,
        **extra,
    }
    return await _answer(request, principal, query, values)


async def _answer(
    request: Request, principal: Principal, query: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Reporting's answer to `query`, within the report timeout; its refusals as problems."""
    gateway = gateway_of(request)
    envelope = QueryEnvelope(
        type=query,
        actor=Actor(user_id=principal.sub, role=principal.role.value),
        params=values,
    )
    reply = await gateway.ask(SERVICE, envelope, gateway.settings.report_timeout_seconds)
    if reply.problem is not None and reply.problem.status == 403:
        raise problems.not_found()
    if not reply.ok or reply.result is None:
        raise problems.ProblemError(reply.problem or problems.make("internal", 500, "no result"))
    return reply.result


def _refusal(denied: ReportDenied) -> problems.ProblemError:
    if denied.status == 404:
        return problems.not_found(denied.detail)
    if denied.status == 422:
        issue = FieldIssue(field=denied.field or "<query>", message=denied.detail)
        return problems.ProblemError(
            problems.make("validation", 422, denied.detail, errors=[issue])
        )
    return problems.forbidden(denied.detail)


def _safe(filename: str) -> str:
    """Only characters that need no quoting in a header value."""
    return "".join(c for c in filename if c.isalnum() or c in "-_.") or "report"
