"""The browser session: the gateway's own JWT in an HttpOnly cookie, and CSRF tokens.

The token is never readable by page scripts (HttpOnly), is sent only to this site's dashboard
paths (SameSite=Strict, Path=/app), and is checked by the same verifier as every API call.
Every state-changing request also carries a CSRF token: an HMAC of the session token under the
gateway's CSRF key, so it needs no server-side store and is worthless for another session.
Replicas share the key through `GATEWAY_CSRF_SECRET`; without it each process makes its own
(a restart only makes open forms ask to be reloaded). Before sign-in, a random
double-submit cookie protects the login form itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth import Principal
from gateway.gateway_state import Gateway
from gateway.problems import ProblemError

SESSION_COOKIE = "ishc_session"
LOGIN_CSRF_COOKIE = "ishc_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
COOKIE_PATH = "/app"


def csrf_for(key: bytes, session_token: str) -> str:
    return hmac.new(key, session_token.encode(), hashlib.sha256).hexdigest()


def masked(value: str) -> str:
    """`value` under a fresh random mask (the mask, then value XOR mask, in hex), as a page
    carries it: pages are sent compressed, and a secret repeated byte for byte in every
    response could be read from compressed sizes (BREACH); masked, it never repeats."""
    raw = value.encode()
    pad = secrets.token_bytes(len(raw))
    return (pad + bytes(a ^ b for a, b in zip(raw, pad, strict=True))).hex()


def unmasked(presented: str) -> str | None:
    """The value a `masked` form carries, or None when it is not one."""
    try:
        data = bytes.fromhex(presented)
    except ValueError:
        return None
    half = len(data) // 2
    if not half or len(data) % 2:
        return None
    pad, body = data[:half], data[half:]
    try:
        return bytes(a ^ b for a, b in zip(body, pad, strict=True)).decode()
    except UnicodeDecodeError:
        return None


def _same(expected: str, presented: str) -> bool:
    """The presented value masked (as pages carry it) or plain (as pages once did, and as a
    queue kept offline may still hold it)."""
    if hmac.compare_digest(expected, presented):
        return True
    opened = unmasked(presented)
    return opened is not None and hmac.compare_digest(expected, opened)


def csrf_ok(key: bytes, session_token: str, presented: str | None) -> bool:
    return presented is not None and _same(csrf_for(key, session_token), presented)


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token or None


async def principal_of(request: Request) -> Principal | None:
    """Who the session cookie names, or None (no cookie, expired or untrusted token)."""
    token = session_token(request)
    if token is None:
        return None
    gateway: Gateway = request.app.state.gateway
    try:
        return await gateway.verifier.verify(token)
    except ProblemError:
        return None


def cookies_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=cookies_secure(request),
    )


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=cookies_secure(request),
    )


def login_csrf(request: Request, response: Response) -> str:
    """The pre-session CSRF value for the login form (double submit), set as a cookie."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=cookies_secure(request),
    )
    return value


def login_csrf_ok(request: Request, presented: str | None) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(expected and presented and _same(expected, presented))
