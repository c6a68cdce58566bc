"""Reporting queries over NATS (`ishc.qry.reporting.<Query>`); the models are contracts
(`ishc_contracts.reporting.queries`), so the gateway exposes them too."""

from __future__ import annotations

import base64
from typing import Any

import structlog
from nats.errors import Error as NatsError

from ishc_contracts import QueryEnvelope
from ishc_contracts.reporting.queries import (
    ClubsOverTime,
    ExportIndicators,
    Indicators,
    ReportBasis,
)
from ishc_runtime.service import ServiceContext
from ishc_runtime.store.pool import Connection
from reporting.application.export import to_csv, to_xlsx
from reporting.application.facts import CLUB_PLACES, club_facts
from reporting.application.indicators import UnitReport, clubs_to_date, roll_up
from reporting.application.periods import parse_period
from reporting.application.reference import communes_per_province
from reporting.application.routes import routes

log = structlog.get_logger(__name__)


async def indicators(conn: Connection, q: Indicators) -> list[UnitReport]:
    period = parse_period(q.period)
    clubs = await club_facts(conn, period)
    return roll_up(
        clubs,
        period,
        q.level,
        q.scheme,
        unit=q.unit,
        threshold=q.threshold,
        communes=communes_per_province(q.scheme),
        provinces=q.provinces,
        within_communes=q.communes,
        suppress_clubs=q.suppress_clubs,
    )


async def report_basis(ctx: ServiceContext) -> ReportBasis | None:
    """How far the projections had got, read before the figures: a reader must be able to
    tell figures missing events from complete ones. None when it cannot be told (outside a
    running service, or JetStream not answering in time): the figures still come, unmarked."""
    if ctx.projection_status is None:
        return None
    computed_at = ctx.clock.now()
    try:
        sources = await ctx.projection_status()
    except (NatsError, TimeoutError) as error:
        log.warning("report basis unavailable", error=repr(error))
        return None
    return ReportBasis.of(computed_at, list(sources))


async def computed(
    ctx: ServiceContext, q: Indicators
) -> tuple[ReportBasis | None, list[UnitReport]]:
    """The report, with its basis read first."""
    basis = await report_basis(ctx)
    async with ctx.pool.acquire() as conn:
        return basis, await indicators(conn, q)


@routes.query(Indicators)
async def indicators_query(
    ctx: ServiceContext, env: QueryEnvelope, q: Indicators
) -> dict[str, Any]:
    basis, reports = await computed(ctx, q)
    return {
        "period": q.period,
        "level": q.level,
        "scheme": q.scheme,
        "threshold": q.threshold,
        "provinces": None if q.provinces is None else list(q.provinces),
        "communes": None if q.communes is None else list(q.communes),
        "units": [_json(r.as_dict()) for r in reports],
        "basis": _json_or_none(basis),
    }


def _json_or_none(basis: ReportBasis | None) -> dict[str, Any] | None:
    return None if basis is None else basis.model_dump(mode="json")


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


@routes.query(ExportIndicators)
async def export_query(
    ctx: ServiceContext, env: QueryEnvelope, q: ExportIndicators
) -> dict[str, Any]:
    basis, reports = await computed(ctx, q)
    units = [r.as_dict() for r in reports]
    name = f"ishc-indicators-{q.period}-{q.level}-{q.scheme}"
    if q.format == "csv":
        content, media = to_csv(units).encode(), "text/csv; charset=utf-8"
    else:
        content = to_xlsx(units, title=q.period, basis=basis)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {
        "filename": f"{name}.{q.format}",
        "content_type": media,
        "content_base64": base64.b64encode(content).decode(),
        "rows": len(units),
        "complete": None if basis is None else basis.complete,
    }


async def clubs_over_time(conn: Connection, q: ClubsOverTime) -> list[dict[str, Any]]:
    """Clubs to date at each month's end; one read of the clubs for every month."""
    clubs = [dict(row) for row in await conn.fetch(CLUB_PLACES)]
    return [
        {
            "month": month,
            "clubs_cumulative": clubs_to_date(clubs, parse_period(month).end, q.provinces),
        }
        for month in q.months
    ]


@routes.query(ClubsOverTime)
async def clubs_over_time_query(
    ctx: ServiceContext, env: QueryEnvelope, q: ClubsOverTime
) -> dict[str, Any]:
    basis = await report_basis(ctx)
    async with ctx.pool.acquire() as conn:
        months = await clubs_over_time(conn, q)
    return {"months": months, "basis": _json_or_none(basis)}
