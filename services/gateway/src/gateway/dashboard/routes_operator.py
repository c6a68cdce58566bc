"""The operator page: every service's projections (checkpoint, lag, state) and parked events,
from `GET /v1/ops/projections` and `GET /v1/ops/parked` (never event payloads)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import NATIONAL_ROLES
from gateway.dashboard.calls import Answer
from gateway.dashboard.web import BASE, error_page, render, session_of, to_login
from ishc_runtime.clock import VN_TZ


def _services(answer: Answer) -> list[dict[str, Any]]:
    if not answer.ok or not isinstance(answer.data, dict):
        return []
    found: list[dict[str, Any]] = answer.data.get("services", [])
    return found


def operator_router() -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/operator")
    async def page(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        if session.principal.role not in NATIONAL_ROLES:
            return error_page(request, session, 403)
        async with session.api(request) as api:
            projections, parked = await asyncio.gather(
                api.get("/v1/ops/projections"), api.get("/v1/ops/parked", limit=100)
            )
        return render(
            request,
            "operator.html",
            session.t,
            session=session,
            projections=_services(projections),
            parked=_services(parked),
            projections_answer=projections,
            parked_answer=parked,
            read_at=datetime.now(VN_TZ),
        )

    return router
