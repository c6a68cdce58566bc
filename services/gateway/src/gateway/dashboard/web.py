"""What every dashboard page shares: templates, the signed-in context, responses."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.auth import Principal, Role
from gateway.dashboard.calls import Api, Outcome
from gateway.dashboard.forms import FormState, values_of
from gateway.dashboard.i18n import Translator, choose_lang
from gateway.dashboard.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    csrf_for,
    csrf_ok,
    masked,
    principal_of,
    session_token,
)
from gateway.gateway_state import Gateway
from ishc_contracts import ERASED_TEXT

HERE = Path(__file__).parent
STATIC = HERE / "static"
BASE = "/app"

# Pages load nothing from elsewhere and run only our own files: XSS has nowhere to go.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# The language of the page being rendered, for `shown` (macros are imported without the
# page's context, so it cannot be read from there).
_READER: ContextVar[Translator | None] = ContextVar("dashboard_reader", default=None)


def shown(value: Any) -> Any:
    """Every value a page prints: an erased person's name arrives as the services' stand-in
    (`ERASED_TEXT`), which the page says in the reader's language instead."""
    if value == ERASED_TEXT:
        t = _READER.get()
        if t is not None:
            return t("person.erased")
    return value


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=shown,
)


@dataclass(frozen=True)
class Session:
    """A signed-in request: who, their token, the language."""

    principal: Principal
    token: str
    t: Translator
    csrf_key: bytes

    @property
    def csrf(self) -> str:
        """The CSRF token as this response carries it: masked afresh (see `masked`)."""
        return masked(csrf_for(self.csrf_key, self.token))

    def api(self, request: Request) -> Api:
        return Api(request, self.token, self.t.lang)


async def session_of(request: Request) -> Session | None:
    principal = await principal_of(request)
    token = session_token(request)
    if principal is None or token is None:
        return None
    gateway: Gateway = request.app.state.gateway
    return Session(
        principal=principal,
        token=token,
        t=Translator(choose_lang(request)),
        csrf_key=gateway.csrf_key,
    )


def to_login(request: Request, *, expired: bool = False) -> RedirectResponse:
    target = f"{BASE}/login?next={quote(request.url.path)}"
    return RedirectResponse(target + ("&expired=1" if expired else ""), status_code=303)


def home_of(principal: Principal) -> str:
    if principal.role in (Role.CLUB_SECRETARY, Role.BOARD) and principal.club_ids:
        return f"{BASE}/club/{sorted(str(c) for c in principal.club_ids)[0]}"
    if principal.role is Role.VOLUNTEER:
        return f"{BASE}/volunteer"
    if principal.role is Role.OPERATOR:
        return f"{BASE}/operator"
    return f"{BASE}/province"


def safe_next(target: str | None) -> str | None:
    """Only our own pages: no open redirect."""
    if target and target.startswith(f"{BASE}/") and "\\" not in target and "//" not in target:
        return target
    return None


def render(
    request: Request,
    template: str,
    t: Translator,
    *,
    session: Session | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    reader = _READER.set(t)
    try:
        html = templates.get_template(template).render(
            t=t,
            lang=t.lang,
            session=session,
            principal=session.principal if session else None,
            csrf=session.csrf if session else context.pop("csrf", ""),
            csrf_field=CSRF_FIELD,
            base=BASE,
            path=request.url.path,
            query=request.url.query,
            **context,
        )
    finally:
        _READER.reset(reader)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Content-Language"] = t.lang
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def error_page(request: Request, session: Session, status: int) -> HTMLResponse:
    """The page for a refusal: 403 and 404 as they are; any other status (a service that
    failed or did not answer) shows as unavailable, 503."""
    status = status if status in (403, 404) else 503
    key = {403: "error.forbidden", 404: "error.not_found"}.get(status, "error.unavailable")
    return render(
        request, "error.html", session.t, session=session, status=status, message=session.t(key)
    )


def csrf_refused(request: Request, session: Session) -> HTMLResponse:
    return render(
        request,
        "error.html",
        session.t,
        session=session,
        status=403,
        message=session.t("error.csrf"),
    )


def checked(session: Session, presented: str | None) -> bool:
    return csrf_ok(session.csrf_key, session.token, presented)


def header_csrf(request: Request) -> str | None:
    return request.headers.get(CSRF_HEADER)


def no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def form_text(form: object, name: str) -> str | None:
    value = getattr(form, "get", lambda _n: None)(name)
    return value if isinstance(value, str) else None


def refused_form(
    t: Translator, form: FormData, outcome: Outcome, *, profile: str | None = None
) -> tuple[FormState, int]:
    """A form the service refused, shown again with its values and errors, and the page's
    status: the refusal's own when it is the caller's (4xx), else 503. A missing consent is
    said by its purpose under the field, with a link to `profile` (the person's page, where
    the consent is recorded) when the caller knows it."""
    errors = {k: t.field_error(v) for k, v in outcome.field_errors().items()}
    missing = t.missing_consent(outcome.body)
    if missing is not None:
        errors = dict.fromkeys(errors, missing)
    state = FormState(
        values=values_of(form),
        errors=errors,
        message=t.problem(outcome.body),
        link=profile if missing is not None else None,
    )
    return state, outcome.status if 400 <= outcome.status < 500 else 503


async def consent_profile(
    api: Api, session: Session, club_id: UUID, outcome: Outcome
) -> str | None:
    """Where a `consent-required` refusal is put right: the refused person's profile in the
    club (the problem names the person), for those who may open it; else None."""
    if session.principal.role not in (Role.CLUB_SECRETARY, Role.BOARD):
        return None
    person = outcome.body.get("person_id")
    if session.t.missing_consent(outcome.body) is None or not isinstance(person, str):
        return None
    roster = await api.query("membership", "club-roster", club_id=club_id, include_former="true")
    members = (roster.data or {}).get("members", []) if roster.ok else []
    member = next((m["member_id"] for m in members if str(m["person_id"]) == person), None)
    return f"{BASE}/club/{club_id}/members/{member}" if member is not None else None
