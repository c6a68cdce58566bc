"""Sign-in through the organisation's identity provider: the OAuth 2.0 authorization code
flow with PKCE (RFC 7636), for the dashboard only (API clients bring their own tokens).

The flow's secrets (state, code verifier, where to go next) travel in a short-lived HttpOnly
cookie sealed with the gateway's CSRF key, so any replica can finish a flow another began
and nothing is stored server-side. The cookie is SameSite=Lax: the provider sends the
browser back with a cross-site GET, which a Strict cookie would not survive. The access
token the provider returns is checked by the same verifier as every API call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

import httpx
import structlog

from gateway.settings import GatewaySettings

FLOW_COOKIE = "ishc_oidc"
FLOW_SECONDS = 600
EXCHANGE_TIMEOUT_SECONDS = 10.0

log = structlog.get_logger(__name__)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code_challenge(verifier: str) -> str:
    """S256: the provider is shown the hash, the token endpoint is shown the verifier."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


@dataclass(frozen=True)
class Flow:
    """One sign-in attempt, from the redirect to the provider until its answer."""

    state: str
    verifier: str
    next: str
    started: float

    @classmethod
    def begin(cls, next_path: str) -> Flow:
        return cls(
            state=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
            next=next_path,
            started=time.time(),
        )

    def seal(self, key: bytes) -> str:
        body = _b64(json.dumps(asdict(self), separators=(",", ":")).encode())
        return f"{body}.{_b64(hmac.new(key, body.encode(), hashlib.sha256).digest())}"

    @classmethod
    def unseal(cls, key: bytes, sealed: str | None) -> Flow | None:
        """The flow in the cookie, or None if it is missing, forged or too old."""
        if not sealed or sealed.count(".") != 1:
            return None
        body, mac = sealed.split(".")
        expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            return None
        try:
            flow = cls(**json.loads(_unb64(body)))
        except (ValueError, TypeError):
            return None
        return flow if time.time() - flow.started <= FLOW_SECONDS else None

    def answered_by(self, state: str | None) -> bool:
        return state is not None and hmac.compare_digest(self.state, state)


def authorization_url(settings: GatewaySettings, flow: Flow, redirect_uri: str) -> str:
    assert settings.oidc_authorization_url is not None
    assert settings.oidc_client_id is not None
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": redirect_uri,
            "scope": settings.oidc_scope,
            "state": flow.state,
            "code_challenge": code_challenge(flow.verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in settings.oidc_authorization_url else "?"
    return f"{settings.oidc_authorization_url}{separator}{query}"


async def exchange(
    settings: GatewaySettings, flow: Flow, code: str, redirect_uri: str
) -> str | None:
    """The access token for `code`, or None (logged) when the provider refuses or fails."""
    assert settings.oidc_token_url is not None
    assert settings.oidc_client_id is not None
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": settings.oidc_client_id,
        "code_verifier": flow.verifier,
    }
    if settings.oidc_client_secret is not None:
        form["client_secret"] = settings.oidc_client_secret.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=EXCHANGE_TIMEOUT_SECONDS) as client:
            answer = await client.post(
                settings.oidc_token_url, data=form, headers={"Accept": "application/json"}
            )
    except httpx.HTTPError as error:
        log.warning("oidc.token_endpoint_unreachable", error=str(error))
        return None
    if answer.status_code != 200:
        log.warning("oidc.code_refused", status=answer.status_code, body=answer.text[:200])
        return None
    try:
        token = answer.json().get("access_token")
    except ValueError:
        token = None
    if not isinstance(token, str) or not token:
        log.warning("oidc.no_access_token", status=answer.status_code)
        return None
    return token
