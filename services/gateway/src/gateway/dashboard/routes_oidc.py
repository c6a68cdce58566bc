"""`/app/login/oidc` and `/app/login/callback`: the dashboard's sign-in through the
organisation's identity provider (see `oidc`). Mounted only when it is configured."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from gateway.dashboard.i18n import Translator, choose_lang
from gateway.dashboard.oidc import FLOW_COOKIE, FLOW_SECONDS, Flow, authorization_url, exchange
from gateway.dashboard.routes_session import login_form, verified_session
from gateway.dashboard.session import cookies_secure, start_session
from gateway.dashboard.web import BASE, home_of, render, safe_next
from gateway.gateway_state import Gateway
from gateway.settings import GatewaySettings

FLOW_COOKIE_PATH = f"{BASE}/login"


def oidc_router(settings: GatewaySettings) -> APIRouter:
    router = APIRouter(prefix=BASE, include_in_schema=False)

    def redirect_uri(request: Request) -> str:
        return settings.oidc_redirect_url or str(request.url_for("oidc_callback"))

    def forget_flow(request: Request, response: Response) -> None:
        response.delete_cookie(
            FLOW_COOKIE,
            path=FLOW_COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=cookies_secure(request),
        )

    @router.get("/login/oidc")
    async def begin(request: Request, next: str | None = None) -> Response:
        gateway: Gateway = request.app.state.gateway
        flow = Flow.begin(safe_next(next) or "")
        response = RedirectResponse(
            authorization_url(settings, flow, redirect_uri(request)), status_code=303
        )
        response.set_cookie(
            FLOW_COOKIE,
            flow.seal(gateway.csrf_key),
            max_age=FLOW_SECONDS,
            path=FLOW_COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=cookies_secure(request),
        )
        return response

    @router.get("/login/callback", name="oidc_callback")
    async def callback(
        request: Request,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Response:
        gateway: Gateway = request.app.state.gateway
        flow = Flow.unseal(gateway.csrf_key, request.cookies.get(FLOW_COOKIE))
        if flow is None or not flow.answered_by(state):
            # Not the answer to a sign-in this browser began here (or began too long ago).
            t = Translator(choose_lang(request))
            refused = render(request, "error.html", t, status=403, message=t("error.csrf"))
            forget_flow(request, refused)
            return refused
        token = (
            None
            if error or not code
            else await exchange(settings, flow, code, redirect_uri(request))
        )
        signed = None if token is None else await verified_session(request, token)
        if signed is None:
            failed = login_form(request, settings, next=flow.next, failed=True)
            forget_flow(request, failed)
            return failed
        issued, principal, lifetime = signed
        target = safe_next(flow.next) or home_of(principal)
        # A page, not a redirect: the session cookie is SameSite=Strict, and a redirect would
        # continue the provider's cross-site navigation, which does not send it.
        t = Translator(choose_lang(request))
        page = render(request, "signed_in.html", t, target=target)
        start_session(request, page, issued, lifetime)
        forget_flow(request, page)
        return page

    return router
