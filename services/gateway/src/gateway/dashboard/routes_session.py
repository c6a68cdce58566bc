"""Sign-in, sign-out, the language switch, the home redirect and the static files."""

from __future__ import annotations

import time
from typing import Annotated

import jwt
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from gateway.auth import DEMO_USERS, Principal
from gateway.dashboard.calls import dev_token
from gateway.dashboard.i18n import LANG_COOKIE, LANGS, Translator, choose_lang
from gateway.dashboard.session import (
    COOKIE_PATH,
    end_session,
    login_csrf,
    login_csrf_ok,
    masked,
    principal_of,
    start_session,
)
from gateway.dashboard.web import (
    BASE,
    STATIC,
    checked,
    csrf_refused,
    home_of,
    render,
    safe_next,
    session_of,
)
from gateway.gateway_state import Gateway
from gateway.problems import ProblemError
from gateway.settings import GatewaySettings

STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
STATIC_FILES = frozenset({"app.css", "app.js", "volunteer.js", "favicon.svg"})


async def _sign_in(
    request: Request, dev_mode: bool, user: str, pasted: str
) -> tuple[str, Principal, int] | None:
    """A verified token, its principal and seconds to live: a demo user's from the dev
    issuer, else a pasted one (the organisation's identity provider)."""
    issued: str | None = None
    if dev_mode and user:
        answer = await dev_token(request, user)
        issued = str(answer["access_token"]) if answer is not None else None
    elif pasted.strip():
        issued = pasted.strip()
    if issued is None:
        return None
    return await verified_session(request, issued)


async def verified_session(request: Request, token: str) -> tuple[str, Principal, int] | None:
    """The token, whom it names and its seconds to live, if the gateway trusts it."""
    gateway: Gateway = request.app.state.gateway
    try:
        principal = await gateway.verifier.verify(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (ProblemError, jwt.PyJWTError):
        return None
    lifetime = max(60, int(float(claims.get("exp", 0)) - time.time()))
    return token, principal, lifetime


def login_form(
    request: Request,
    settings: GatewaySettings,
    *,
    next: str | None,
    expired: bool = False,
    failed: bool = False,
) -> Response:
    """The sign-in page (401 after a failed attempt), with its pre-session CSRF cookie."""
    t = Translator(choose_lang(request))
    response = Response()
    csrf = login_csrf(request, response)
    page = render(
        request,
        "login.html",
        t,
        csrf=masked(csrf),
        dev_mode=settings.dev_mode,
        oidc=settings.oidc_enabled,
        demo_users=sorted(DEMO_USERS.items()),
        next=safe_next(next) or "",
        expired=expired,
        failed=failed,
        status=401 if failed else 200,
    )
    page.raw_headers += [h for h in response.raw_headers if h[0] == b"set-cookie"]
    return page


def session_router(settings: GatewaySettings) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)
    dev_mode = settings.dev_mode

    @router.get("/")
    async def home(request: Request) -> Response:
        principal = await principal_of(request)
        target = home_of(principal) if principal else f"{BASE}/login"
        return RedirectResponse(target, status_code=303)

    @router.get("/login")
    async def login_page(request: Request, next: str | None = None, expired: int = 0) -> Response:
        return login_form(request, settings, next=next, expired=bool(expired))

    @router.post("/login")
    async def login(
        request: Request,
        csrf_token: Annotated[str, Form()] = "",
        user: Annotated[str, Form()] = "",
        token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        t = Translator(choose_lang(request))
        if not login_csrf_ok(request, csrf_token):
            return render(request, "error.html", t, status=403, message=t("error.csrf"))
        signed = await _sign_in(request, dev_mode, user, token)
        if signed is None:
            return login_form(request, settings, next=next, failed=True)
        issued, principal, lifetime = signed
        response = RedirectResponse(safe_next(next) or home_of(principal), status_code=303)
        start_session(request, response, issued, lifetime)
        return response

    @router.post("/logout")
    async def logout(
        request: Request,
        csrf_token: Annotated[str, Form()] = "",
        keep_queue: Annotated[str, Form()] = "0",
    ) -> Response:
        session = await session_of(request)
        if session is not None and not checked(session, csrf_token):
            return csrf_refused(request, session)
        response = RedirectResponse(f"{BASE}/login", status_code=303)
        end_session(request, response)
        # The offline copy of the volunteer page holds names: the browser drops it too. Visits
        # not yet sent live in the same storage: when the user chose to keep them (warned by
        # the page), only the HTTP cache is cleared and the page script drops its own copies.
        kept = keep_queue == "1"
        response.headers["Clear-Site-Data"] = '"cache"' if kept else '"cache", "storage"'
        return response

    @router.get("/lang/{lang}")
    async def switch_language(request: Request, lang: str, next: str | None = None) -> Response:
        response = RedirectResponse(safe_next(next) or f"{BASE}/", status_code=303)
        if lang in LANGS:
            response.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, path=COOKIE_PATH, samesite="lax"
            )
        return response

    @router.get("/sw.js")
    async def service_worker() -> Response:
        # Served from /app/ so its scope covers the dashboard, never the API.
        response = FileResponse(STATIC / "sw.js", media_type=STATIC_TYPES[".js"])
        response.headers["Cache-Control"] = "no-cache"
        return response

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return Response(status_code=404)
        path = STATIC / name
        response = FileResponse(path, media_type=STATIC_TYPES[path.suffix])
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    return router
