"""The volunteer page (phone-sized, works offline) and the same-origin sync relay.

Offline visits are queued by `static/volunteer.js` with ids and device times made on the
phone, and sent through `POST /app/sync`, which relays the batch to the gateway's
`POST /v1/sync` with the session's token. The relay is the safer choice: the token stays in
the HttpOnly cookie, out of reach of any script on the page, and the relay demands the
session's CSRF token in a header (a cross-site page can neither read it nor set it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gateway.auth import Role
from gateway.dashboard import forms
from gateway.dashboard.routes_club import assigned_volunteers
from gateway.dashboard.web import (
    BASE,
    Session,
    checked,
    csrf_refused,
    error_page,
    form_text,
    header_csrf,
    render,
    session_of,
    to_login,
)
from ishc_runtime.clock import VN_TZ

FIELD_ROLES = frozenset({Role.VOLUNTEER, Role.CLUB_SECRETARY, Role.BOARD})


def club_of(session: Session) -> UUID | None:
    if session.principal.role not in FIELD_ROLES or not session.principal.club_ids:
        return None
    return sorted(session.principal.club_ids, key=str)[0]


def mine(recipients: list[dict[str, Any]], me: UUID | None) -> list[dict[str, Any]]:
    """The recipients the caller visits, when the token names their volunteer record; else
    the club's (the caller is then someone recording for the team)."""
    if me is None:
        return recipients
    return [r for r in recipients if str(me) in (r.get("volunteer_ids") or [])]


def recorded_for(assigned: list[str], me: UUID | None) -> list[str]:
    """Who made the visit: the caller when they are on the case's team, else the team."""
    return [str(me)] if me is not None and str(me) in assigned else assigned


def said(session: Session, body: Any) -> Any:
    """Each refused command's problem with `message`, one line in the page's language (the
    API's `detail` is English prose; a missing consent is said by its purpose)."""
    if isinstance(body, dict):
        for result in body.get("results") or []:
            problem = result.get("problem") if isinstance(result, dict) else None
            if isinstance(problem, dict):
                problem["message"] = session.t.problem(problem)
    return body


def volunteer_router() -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    @router.get("/volunteer")
    async def page(request: Request, consistency: str | None = None) -> Response:
        session = await session_of(request)
        if session is None:
            return to_login(request)
        club_id = club_of(session)
        if club_id is None:
            return error_page(request, session, 403)
        token = consistency if consistency and consistency.startswith("case-") else None
        async with session.api(request) as api:
            board = await api.query("care", "week-board", club_id=club_id, consistency=token)
        if not board.ok:
            return error_page(request, session, board.status)
        return render(
            request,
            "volunteer.html",
            session.t,
            session=session,
            board=board.data,
            recipients=mine(board.data.get("recipients") or [], session.principal.volunteer_id),
            me=session.principal.volunteer_id,
            stale=board.stale,
            club_id=club_id,
            today=datetime.now(VN_TZ).date().isoformat(),
            tasks=forms.TASKS,
            follow_ups=forms.FOLLOW_UPS,
        )

    @router.post("/volunteer/visit")
    async def record(request: Request) -> Response:
        """Without script (or with it, online), a plain form post."""
        session = await session_of(request)
        if session is None:
            return to_login(request, expired=True)
        form = await request.form()
        if not checked(session, form_text(form, "csrf_token")):
            return csrf_refused(request, session)
        club_id = club_of(session)
        if club_id is None:
            return error_page(request, session, 403)
        async with session.api(request) as api:
            volunteers = recorded_for(
                await assigned_volunteers(api, form.get("case_id")),
                session.principal.volunteer_id,
            )
            outcome = await api.command(
                "care", "record-visit", forms.record_visit(form, volunteers), club_id=club_id
            )
        if not outcome.ok:
            return render(
                request,
                "error.html",
                session.t,
                session=session,
                status=outcome.status if 400 <= outcome.status < 500 else 503,
                message=session.t.problem(outcome.body),
            )
        token = outcome.token_for("case-") or ""
        return RedirectResponse(f"{BASE}/volunteer?consistency={token}", status_code=303)

    @router.post("/sync")
    async def sync(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return JSONResponse({"title": "sign in again", "status": 401}, status_code=401)
        if not checked(session, header_csrf(request)):
            return JSONResponse(
                {"title": "CSRF token missing or wrong", "status": 403}, status_code=403
            )
        try:
            batch: Any = await request.json()
        except ValueError:
            return JSONResponse({"title": "not JSON", "status": 422}, status_code=422)
        async with session.api(request) as api:
            status, body = await api.post("/v1/sync", batch)
        return JSONResponse(said(session, body), status_code=status)

    return router
