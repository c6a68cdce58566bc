"""The indicator dashboard (provincial officers, national roles): N1-N16 for a period, charts
as inline SVG, a table by unit, CSV/XLSX downloads, from `GET /v1/reports/indicators` and the
six-month trend from `GET /v1/reports/clubs-over-time`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import NATIONAL_ROLES, Role
from gateway.dashboard import charts, exports
from gateway.dashboard.calls import Answer
from gateway.dashboard.indicators import CATEGORIES, matching, number, people_helped, shown
from gateway.dashboard.web import BASE, Session, error_page, render, session_of, to_login
from ishc_contracts.reporting.queries import PERIOD_PATTERN
from ishc_runtime.clock import VN_TZ

REPORT = "/v1/reports/indicators"
CLUBS_OVER_TIME = "/v1/reports/clubs-over-time"
LEVELS = ("province", "commune", "club")
# A commune as the commune level keys it: <province>:<ward>.
COMMUNE = re.compile(r"[0-9A-Za-z]{1,8}:[0-9A-Za-z]{1,10}")
HISTORY_MONTHS = 6
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c == "-") or "period"


def months_back(period: str, count: int) -> list[str]:
    """The `count` months ending with the period's last month (a month, quarter or year)."""
    found = re.match(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$", period)
    if found is None:  # a programme period: its last year
        year, month = int(period[-4:]), 12
    else:
        year = int(found.group(1))
        month = int(found.group(2) or (int(found.group(3)) * 3 if found.group(3) else 12))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def summary_level(session: Session) -> str:
    return "nation" if session.principal.role in NATIONAL_ROLES else "province"


def _units(answer: Answer) -> list[dict[str, Any]]:
    if not answer.ok or not isinstance(answer.data, dict):
        return []
    units: list[dict[str, Any]] = answer.data.get("units", [])
    return units


def clubs_over_time(months: list[str], answer: Answer) -> list[tuple[str, float | None]]:
    """(label, clubs to date) per month; months the answer lacks (it failed, a timeout under
    load) are gaps, not zeros."""
    counts: dict[str, float] = {}
    if answer.ok and isinstance(answer.data, dict):
        counts = {m["month"]: m["clubs_cumulative"] for m in answer.data.get("months", [])}
    return [(month[2:], counts.get(month)) for month in months]


def _charts(
    session: Session,
    total: dict[str, Any],
    rows: list[dict[str, Any]],
    over_time: list[tuple[str, float | None]],
) -> dict[str, Any]:
    t = session.t
    figures = total.get("indicators", {})
    by_unit = rows[:20]  # a chart of more bars is unreadable on a phone; the table has them all
    return {
        "clubs": charts.columns(t("prov.clubs_over_time"), over_time, t.number),
        "categories": charts.bars(
            t("prov.members_by_category"),
            [(t(label), number(figures, name)) for name, label in CATEGORIES.items()],
            t.pct,
            scale_max=100,
        ),
        "par30": charts.bars(
            t("prov.par30"),
            [(u["name"], number(u["indicators"], "par30_pct")) for u in by_unit],
            t.pct,
            alert_above=5,
        ),
        "compliance": charts.bars(
            t("prov.compliance"),
            [(u["name"], number(u["indicators"], "weeks_target_met_pct")) for u in by_unit],
            t.pct,
            scale_max=100,
        ),
        "funnel": charts.funnel(
            t("prov.funnel"),
            [
                (t("prov.funnel_opened"), int(figures.get("entitlement_cases_opened") or 0)),
                (t("prov.funnel_approved"), int(figures.get("entitlement_cases_approved") or 0)),
                (t("prov.funnel_helped"), people_helped(figures)),
            ],
            t.number,
        ),
    }


def province_router() -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/province")
    async def page(
        request: Request,
        period: str | None = None,
        level: str = "commune",
        province: str | None = None,
        unit: str | None = None,
        commune: str | None = None,
        q: str | None = None,
    ) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        if session.principal.role not in (*NATIONAL_ROLES, Role.PROVINCIAL_OFFICER):
            return error_page(request, session, 403)
        today = datetime.now(VN_TZ).date()
        # The last complete month by default (the current one is mostly empty); a period
        # that is not one is said, not silently replaced.
        rejected_period = period if period and not re.match(PERIOD_PATTERN, period) else None
        if period is None or rejected_period:
            period = last_complete_month(today)
        level = level if level in LEVELS else "commune"
        province = province if province and re.fullmatch(r"[0-9A-Za-z]{1,8}", province) else None
        commune = commune if commune and COMMUNE.fullmatch(commune) else None
        top = summary_level(session)
        history_periods = months_back(period, HISTORY_MONTHS)
        within = [province] if province else None
        async with session.api(request) as api:
            # One report at a time: reporting computes each at query time, and a burst of
            # them on a small server times out. The trend is one light query, not a report
            # per month: at national scale each report takes seconds.
            if unit:
                total = await api.get(REPORT, period=period, level=level, unit=unit)
            elif commune:
                total = await api.get(
                    REPORT, period=period, level="commune", unit=commune, province=within
                )
            elif province:
                total = await api.get(REPORT, period=period, level="province", unit=province)
            else:
                total = await api.get(REPORT, period=period, level=top)
            table = await api.get(
                REPORT,
                period=period,
                level=level,
                province=within,
                commune=[commune] if commune else None,
            )
            history = await api.get(CLUBS_OVER_TIME, month=history_periods, province=within)
        rows = _units(table)
        totals = _units(total)
        summary = headline(totals)
        return render(
            request,
            "province.html",
            session.t,
            session=session,
            period=period,
            level=level,
            levels=LEVELS,
            available=total.ok,
            problem=total.problem,
            basis=basis_of(total),
            summary=summary,
            rows=rows,
            table_answer=table,
            groups=matching(session.t, q),
            indicator_query=(q or "").strip()[:60],
            shown=lambda name, value, suppressed: shown(session.t, name, value, suppressed),
            charts=_charts(session, summary, rows, clubs_over_time(history_periods, history))
            if total.ok
            else {},
            this_year=today.year,
            province=province,
            unit=unit,
            commune=commune,
            rejected_period=rejected_period,
            drill=drill_links(level, rows, period),
        )

    @router.get("/province/export.{fmt}")
    async def export(
        request: Request,
        fmt: str,
        period: str,
        level: str = "commune",
        province: str | None = None,
        commune: str | None = None,
    ) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        if fmt not in ("csv", "xlsx"):
            return error_page(request, session, 404)
        level = level if level in LEVELS else "commune"
        async with session.api(request) as api:
            answer = await api.get(
                REPORT,
                period=period,
                level=level,
                province=[province] if province else None,
                commune=[commune] if commune and COMMUNE.fullmatch(commune) else None,
            )
        if not answer.ok:
            return error_page(request, session, answer.status)
        units = _units(answer)
        t = session.t
        stem = f"{t('export.filename')}-{_safe(period)}-{level}"
        if fmt == "csv":
            content, media = exports.indicator_csv(t, units), "text/csv; charset=utf-8"
        else:
            basis = basis_of(answer)
            content = exports.indicator_xlsx(
                t,
                units,
                period=period,
                level=level,
                computed_at=basis["computed_at"] if basis else None,
            )
            media = XLSX_MEDIA
        headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
        return Response(content, media_type=media, headers=headers)

    return router


def last_complete_month(today: date) -> str:
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def drill_links(level: str, rows: list[dict[str, Any]], period: str) -> dict[str, str]:
    """Each row's next level down, within what the officer may read: a province's communes,
    a commune's clubs, a club's own summary."""
    links: dict[str, str] = {}
    for row in rows:
        key = str(row.get("unit", ""))
        if not key or key == "unknown":
            continue
        query: dict[str, str] = {"period": period}
        if level == "province":
            query.update(level="commune", province=key)
        elif level == "commune":
            query.update(level="club", province=key.split(":", 1)[0], commune=key)
        else:
            query.update(level="club", unit=key)
        links[key] = f"{BASE}/province?{urlencode(query)}"
    return links


def basis_of(answer: Answer) -> dict[str, Any] | None:
    """What the summary report was computed from: when, how many events were still being
    counted (a projection behind is normal on a busy day), and the sources that miss events
    for longer (parked events, a stopped, missing or rebuilding projection), which the page
    warns about."""
    if not answer.ok or not isinstance(answer.data, dict):
        return None
    basis = answer.data.get("basis")
    if not isinstance(basis, dict):
        return None
    sources = basis.get("sources", [])
    troubled = [
        {"source": s["source"], "state": s["state"], "held": s["parked"] + s["blocking"]}
        for s in sources
        if s["state"] not in ("caught up", "behind") or s["parked"] or s["blocking"]
    ]
    return {
        "computed_at": basis["computed_at"],
        "pending": sum(s.get("lag") or 0 for s in sources),
        "troubled": troubled,
    }


def headline(units: list[dict[str, Any]]) -> dict[str, Any]:
    """The top-level row the charts show: the nation, or the officer's province (an officer
    of several provinces sees the first here and every unit in the table)."""
    if not units:
        return {"name": "", "indicators": {}, "suppressed": []}
    return units[0]
