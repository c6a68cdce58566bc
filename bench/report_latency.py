"""Report query latency over a reporting read model: `measure(dsn, period)` times the
reporting service's own query function (`reporting.application.queries.indicators`, what the
gateway's `/v1/reports/indicators` reaches over NATS) for each level and admin map, the XLSX
export of the largest one, and the province page's six-month trend (`clubs_over_time`). Used
by bench.simulate once its projections have caught up, so the figures are for the
seed-scale read model."""

from __future__ import annotations

import statistics
import time
from typing import Any

from ishc_contracts.reporting.queries import ClubsOverTime, Indicators
from ishc_runtime.store.pool import Connection, create_pool
from reporting.application import queries
from reporting.application.export import to_xlsx
from reporting.application.queries import indicators

REPEATS = 3


def cases(period: str) -> list[Indicators]:
    """What provincial officers and the national programme ask for, broadest first."""
    return [
        Indicators(period=period, level="nation", scheme="2025_34"),
        Indicators(period=period, level="nation", scheme="legacy_63"),
        Indicators(period=period, level="province", scheme="2025_34"),
        Indicators(period=period, level="province", scheme="legacy_63"),
        Indicators(period=period, level="commune", scheme="2025_34"),
        Indicators(period=period, level="club", scheme="2025_34", suppress_clubs=True),
        Indicators(period=f"{period}-12", level="nation", scheme="2025_34"),
    ]


async def measure(dsn: str, period: str) -> list[dict[str, Any]]:
    pool = await create_pool(dsn, max_size=1, command_timeout=600)
    results: list[dict[str, Any]] = []
    try:
        async with pool.acquire() as conn:
            for query in cases(period):
                seconds: list[float] = []
                rows = 0
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    reports = await indicators(conn, query)
                    seconds.append(time.perf_counter() - started)
                    rows = len(reports)
                result: dict[str, Any] = {
                    "query": query.model_dump(include={"period", "level", "scheme"}),
                    "rows": rows,
                    "seconds_median": round(statistics.median(seconds), 3),
                    "seconds_max": round(max(seconds), 3),
                }
                if query.level == "club":
                    started = time.perf_counter()
                    content = to_xlsx([r.as_dict() for r in reports], title=query.period)
                    result["xlsx_seconds"] = round(time.perf_counter() - started, 3)
                    result["xlsx_bytes"] = len(content)
                results.append(result)
            results.append(await clubs_over_time(conn, period))
    finally:
        await pool.close()
    return results


async def clubs_over_time(conn: Connection, period: str) -> dict[str, Any]:
    """The province page's six-month trend (what replaced a national report per month)."""
    query = ClubsOverTime(months=tuple(f"{period}-{month:02d}" for month in range(7, 13)))
    seconds: list[float] = []
    rows = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        rows = len(await queries.clubs_over_time(conn, query))
        seconds.append(time.perf_counter() - started)
    return {
        "query": {"ClubsOverTime": list(query.months)},
        "rows": rows,
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_max": round(max(seconds), 3),
    }
