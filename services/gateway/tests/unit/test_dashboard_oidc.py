"""Dashboard sign-in through the organisation's identity provider: authorization code with
PKCE, against a fake provider on loopback that serves its JWKS and token endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gateway.app import create_app
from gateway.dashboard.oidc import FLOW_COOKIE
from gateway.dashboard.session import SESSION_COOKIE
from gateway.settings import GatewaySettings

from ..support import FakeBus, claims, jwks_document

pytestmark = pytest.mark.unit

ISSUER = "https://idp.example/realms/ishc"
AUTHORIZE = "https://idp.example/realms/ishc/protocol/openid-connect/auth"
CALLBACK = "http://testserver/app/login/callback"


@dataclass
class Provider:
    """What the fake provider answers at its token endpoint, and what it was sent."""

    url: str
    key: rsa.RSAPrivateKey
    answer: tuple[int, dict[str, Any]] = (500, {})
    received: list[dict[str, str]] = field(default_factory=list)

    def issue(self, **overrides: Any) -> None:
        token = jwt.encode(
            claims(
                **{
                    "iss": ISSUER,
                    "sub": "officer-1",
                    "role": "provincial_officer",
                    "club_ids": None,
                    "province_codes": ["01"],
                    **overrides,
                }
            ),
            self.key,
            algorithm="RS256",
            headers={"kid": "key-1"},
        )
        self.answer = (200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})


@pytest.fixture
def provider(rsa_key: rsa.RSAPrivateKey) -> Iterator[Provider]:
    jwks = jwks_document(rsa_key.public_key())
    state: list[Provider] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(200, jwks)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            state[0].received.append({k: v[0] for k, v in parse_qs(body).items()})
            status, document = state[0].answer
            self._reply(status, json.dumps(document).encode())

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Provider(url=f"http://127.0.0.1:{server.server_address[1]}", key=rsa_key))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()


def settings_for(provider: Provider) -> GatewaySettings:
    return GatewaySettings(
        jwks_url=f"{provider.url}/certs",
        jwt_issuer=ISSUER,
        oidc_authorization_url=AUTHORIZE,
        oidc_token_url=f"{provider.url}/token",
        oidc_client_id="ishc-dashboard",
        club_directory=False,
        services=("sample",),
    )


@pytest.fixture
def client(provider: Provider) -> Iterator[TestClient]:
    app = create_app(settings_for(provider), bus=FakeBus())
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def begin(client: TestClient, next_path: str = "/app/province") -> dict[str, str]:
    """Follow the sign-in button; the query the provider is sent to."""
    page = client.get("/app/login", headers={"Accept-Language": "en"})
    assert 'id="sign-in-oidc"' in page.text and "Sign in with your organisation" in page.text
    started = client.get("/app/login/oidc", params={"next": next_path})
    assert started.status_code == 303
    location = urlsplit(started.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE
    cookie = next(c for c in started.headers.get_list("set-cookie") if c.startswith(FLOW_COOKIE))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def test_the_provider_is_asked_for_a_code_with_pkce_and_state(client: TestClient) -> None:
    asked = begin(client)

    assert asked["response_type"] == "code"
    assert asked["client_id"] == "ishc-dashboard"
    assert asked["redirect_uri"] == CALLBACK
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["state"]) >= 32 and len(asked["code_challenge"]) == 43


def test_the_code_is_exchanged_with_its_verifier_and_the_officer_is_signed_in(
    client: TestClient, provider: Provider
) -> None:
    asked = begin(client)
    provider.issue()

    back = client.get("/app/login/callback", params={"code": "c-123", "state": asked["state"]})

    assert back.status_code == 200, back.text
    assert 'http-equiv="refresh" content="0;url=/app/province"' in back.text
    [sent] = provider.received
    assert sent["grant_type"] == "authorization_code" and sent["code"] == "c-123"
    assert sent["redirect_uri"] == CALLBACK and sent["client_id"] == "ishc-dashboard"
    assert s256(sent["code_verifier"]) == asked["code_challenge"]
    assert SESSION_COOKIE in client.cookies
    assert client.get("/app/").headers["location"] == "/app/province"


def test_an_answer_to_a_sign_in_this_browser_did_not_begin_is_refused(
    client: TestClient, provider: Provider
) -> None:
    begin(client)
    provider.issue()

    back = client.get("/app/login/callback", params={"code": "c-123", "state": "someone-else"})

    assert back.status_code == 403
    assert provider.received == []
    assert SESSION_COOKIE not in client.cookies


def test_a_forged_flow_cookie_is_refused(client: TestClient, provider: Provider) -> None:
    asked = begin(client)
    provider.issue()
    body, _ = client.cookies[FLOW_COOKIE].split(".")
    client.cookies.set(FLOW_COOKIE, f"{body}.forged", path="/app/login")

    back = client.get("/app/login/callback", params={"code": "c", "state": asked["state"]})

    assert back.status_code == 403
    assert provider.received == []


@pytest.mark.parametrize(
    "answer",
    [
        (400, {"error": "invalid_grant"}),
        (200, {"token_type": "Bearer"}),
    ],
)
def test_a_code_the_provider_refuses_shows_the_sign_in_page_again(
    client: TestClient, provider: Provider, answer: tuple[int, dict[str, Any]]
) -> None:
    asked = begin(client)
    provider.answer = answer

    back = client.get("/app/login/callback", params={"code": "c", "state": asked["state"]})

    assert back.status_code == 401
    assert 'id="sign-in-oidc"' in back.text
    assert SESSION_COOKIE not in client.cookies


def test_a_token_for_another_issuer_signs_no_one_in(client: TestClient, provider: Provider) -> None:
    asked = begin(client)
    provider.issue(iss="https://elsewhere.example")

    back = client.get("/app/login/callback", params={"code": "c", "state": asked["state"]})

    assert back.status_code == 401
    assert SESSION_COOKIE not in client.cookies


def test_the_user_declining_at_the_provider_asks_nothing_of_the_token_endpoint(
    client: TestClient, provider: Provider
) -> None:
    asked = begin(client)

    back = client.get(
        "/app/login/callback", params={"error": "access_denied", "state": asked["state"]}
    )

    assert back.status_code == 401
    assert provider.received == []


def test_a_half_configured_provider_is_refused_at_start_naming_what_is_missing() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_OIDC_TOKEN_URL"):
        GatewaySettings(
            jwks_url="http://127.0.0.1:9/certs",
            oidc_authorization_url=AUTHORIZE,
            oidc_client_id="ishc-dashboard",
        )
