"""The operator page: every service's projections (checkpoint, lag, state) and parked events,
from `GET /v1/ops/projections` and `GET /v1/ops/parked` (never event payloads); and the redrive
or discard of one parked event, each behind a confirmation page (a form: no script needed),
through `POST /v1/ops/parked/{service}/{id}/redrive|discard`. A discard asks for the reason,
which the owning service keeps with who discarded it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from gateway.auth import NATIONAL_ROLES
from gateway.dashboard.calls import Answer
from gateway.dashboard.charts import sparkline
from gateway.dashboard.forms import FormState, values_of
from gateway.dashboard.i18n import Translator
from gateway.dashboard.session import CSRF_FIELD
from gateway.dashboard.web import (
    BASE,
    Session,
    checked,
    csrf_refused,
    error_page,
    form_text,
    render,
    session_of,
    to_login,
)
from ishc_runtime.clock import VN_TZ

Action = Literal["redrive", "discard"]
LAG_MINUTES = 60
DONE = {"redrive": "ops.done_redrive", "discard": "ops.done_discard"}


def _services(answer: Answer) -> list[dict[str, Any]]:
    if not answer.ok or not isinstance(answer.data, dict):
        return []
    found: list[dict[str, Any]] = answer.data.get("services", [])
    return found


def _one(answer: Answer, parked_id: int) -> dict[str, Any] | None:
    for service in _services(answer):
        for row in service.get("parked", []):
            if row.get("id") == parked_id:
                found: dict[str, Any] = row
                return found
    return None


def lag_charts(answer: Answer, t: Translator, now: datetime) -> dict[tuple[str, str, str], Markup]:
    """A sparkline per (service, projection, source): one slot a minute over the last hour,
    from the samples the services recorded (a minute without one is a gap)."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    slots = [end - timedelta(minutes=LAG_MINUTES - 1 - i) for i in range(LAG_MINUTES)]
    index = {slot: i for i, slot in enumerate(slots)}
    series: dict[tuple[str, str, str], list[float | None]] = {}
    for service in _services(answer):
        for sample in service.get("samples", []):
            try:
                at = datetime.fromisoformat(str(sample["at"])).astimezone(UTC)
                slot, lag = index.get(at), float(sample["lag"])
            except (KeyError, TypeError, ValueError):
                continue
            if slot is None:
                continue
            key = (service["service"], str(sample["projection"]), str(sample["source"]))
            series.setdefault(key, [None] * LAG_MINUTES)[slot] = lag
    charts = {}
    for key, values in series.items():
        known = [v for v in values if v is not None]
        summary = (
            f"{t('ops.lag_max')} {t.number(max(known))} · {t('ops.lag_now')} {t.number(known[-1])}"
        )
        charts[key] = sparkline(t("ops.lag_hour"), values, summary)
    return charts


async def _operator(request: Request) -> Session | Response:
    session = await session_of(request)
    if session is None:
        return to_login(request)
    if session.principal.role not in NATIONAL_ROLES:
        return error_page(request, session, 403)
    return session


def operator_router() -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/operator")
    async def page(request: Request) -> Response:
        session = await _operator(request)
        if not isinstance(session, Session):
            return session
        async with session.api(request) as api:
            projections, parked, lags = await asyncio.gather(
                api.get("/v1/ops/projections"),
                api.get("/v1/ops/parked", limit=100),
                api.get("/v1/ops/lag", minutes=LAG_MINUTES),
            )
        done = request.query_params.get("done")
        read_at = datetime.now(VN_TZ)
        return render(
            request,
            "operator.html",
            session.t,
            session=session,
            projections=_services(projections),
            parked=_services(parked),
            projections_answer=projections,
            parked_answer=parked,
            read_at=read_at,
            lag_charts=lag_charts(lags, session.t, read_at),
            done=DONE.get(done or ""),
            done_id=request.query_params.get("id", "")[:20],
        )

    async def confirm_page(
        request: Request,
        session: Session,
        service: str,
        parked_id: int,
        action: Action,
        state: FormState | None = None,
        status: int = 200,
    ) -> Response:
        async with session.api(request) as api:
            listed = await api.get(
                "/v1/ops/parked", service=service, include_resolved="true", parked_id=parked_id
            )
        if not listed.ok:
            # A service name the gateway does not know is refused as a parameter: not found.
            return error_page(request, session, 404 if listed.status == 422 else listed.status)
        row = _one(listed, parked_id)
        if row is None:
            return error_page(request, session, 404)
        return render(
            request,
            "operator_confirm.html",
            session.t,
            session=session,
            status=status,
            service=service,
            action=action,
            e=row,
            state=state,
        )

    @router.get("/operator/parked/{service}/{parked_id}/{action}")
    async def confirm(request: Request, service: str, parked_id: int, action: Action) -> Response:
        session = await _operator(request)
        if not isinstance(session, Session):
            return session
        return await confirm_page(request, session, service, parked_id, action)

    @router.post("/operator/parked/{service}/{parked_id}/{action}")
    async def settle(request: Request, service: str, parked_id: int, action: Action) -> Response:
        session = await _operator(request)
        if not isinstance(session, Session):
            return session
        form = await request.form()
        if not checked(session, form_text(form, CSRF_FIELD)):
            return csrf_refused(request, session)
        body: dict[str, Any] = {}
        if action == "discard":
            body["reason"] = (form_text(form, "reason") or "").strip()
        async with session.api(request) as api:
            status, answer = await api.post(f"/v1/ops/parked/{service}/{parked_id}/{action}", body)
        if status == 200:
            target = f"{BASE}/operator?done={action}&id={parked_id}#done"
            return RedirectResponse(target, status_code=303)
        problem = answer if isinstance(answer, dict) else {}
        errors = {
            str(issue.get("field", "")).split(".")[-1]: session.t.field_error(
                str(issue.get("message", ""))
            )
            for issue in problem.get("errors") or ()
        }
        state = FormState(values=values_of(form), errors=errors, message=session.t.problem(problem))
        shown = status if 400 <= status < 500 else 503
        return await confirm_page(request, session, service, parked_id, action, state, shown)

    return router
